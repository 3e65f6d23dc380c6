/**
 * Encryption at rest with a customer-managed KMS key (SPEC §10, issue 19):
 * context `customerManagedKey=true` creates one, `kmsKeyArn` imports one.
 * Unset, every store keeps its AWS owned or AWS managed key and nothing here
 * is created.
 *
 * With a key, the stack encrypts the table, the attachment bucket, both
 * queues, the notification bus, the SNS topics and every log group with it
 * (the S3 server-access-log bucket stays SSE-S3: the S3 logging service can
 * only deliver there; it holds request metadata, never attachment content).
 * Functions get `kms:*` grants through the grants of what they use
 * (`ChatFunction`), never a key-wide allow.
 *
 * Services that use the key on the stack's behalf need the key policy: a
 * created key gets those statements here (CloudWatch Logs scoped to this
 * account's log groups by encryption context; CloudWatch alarms publishing
 * to an encrypted topic; EventBridge, added by `EventBus` itself with its
 * source conditions). An imported key's policy cannot be changed by the
 * stack: `KEY_POLICY_FOR_IMPORTED_KEYS` below is what its owner must add
 * (README "Compliance").
 */
import { Duration, Stack, type RemovalPolicy } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type { Construct } from 'constructs';
import type { ChatStackContext } from './context';

/** The services that must be allowed in an imported key's policy, and why (README "Compliance" lists the statements). */
export const KEY_POLICY_FOR_IMPORTED_KEYS = [
  'logs.<region>.amazonaws.com: Encrypt*, Decrypt*, ReEncrypt*, GenerateDataKey*, Describe* with kms:EncryptionContext:aws:logs:arn = arn:aws:logs:<region>:<account>:log-group:*',
  'cloudwatch.amazonaws.com: Decrypt, GenerateDataKey* (alarms publish to the encrypted alarm topic)',
  'events.amazonaws.com: Decrypt, GenerateDataKey, DescribeKey with aws:SourceAccount/aws:SourceArn of the bus',
] as const;

/**
 * The stack's customer-managed key, or undefined for AWS owned/managed keys.
 * A created key rotates yearly, has the stack's name as alias, and follows the
 * stack's data removal policy (a deleted key's data is unreadable: the 30-day
 * pending window is the last chance to cancel).
 */
export function customerManagedKey(scope: Construct, config: ChatStackContext, removalPolicy: RemovalPolicy): kms.IKey | undefined {
  const wanted = config.customerManagedKey;
  if (!wanted) return undefined;
  if (wanted.keyArn) return kms.Key.fromKeyArn(scope, 'CustomerManagedKey', wanted.keyArn);

  const stack = Stack.of(scope);
  const key = new kms.Key(scope, 'CustomerManagedKey', {
    description: `Encrypts the chat data of ${stack.stackName} (table, attachments, queues, bus, topics, logs)`,
    alias: `alias/${stack.stackName}`,
    enableKeyRotation: true,
    pendingWindow: Duration.days(30),
    removalPolicy,
  });
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchLogsOfThisAccount',
      principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
      actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
      resources: ['*'],
      conditions: {
        ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${stack.partition}:logs:${stack.region}:${stack.account}:log-group:*` },
      },
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'CloudWatchAlarmsPublishToEncryptedTopics',
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  return key;
}
