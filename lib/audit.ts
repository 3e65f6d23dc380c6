/**
 * The audit archive (SPEC §10, CDK context `auditRetentionDays`): every
 * `chat.audit` event on the stack's bus (`functions/lib/audit.ts`) is kept
 * in an EventBridge archive for that many days. An investigator replays a
 * time window of it onto the bus (EventBridge `StartReplay`) into whatever
 * target they attach for the purpose (a log group, a queue, Firehose to S3).
 *
 * The same entries are also written as `message: "audit"` log lines in each
 * function's log group, whatever this setting (see the README runbook).
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AUDIT_DETAIL_TYPE, AUDIT_SOURCE } from '../functions/domain/audit';

export interface AuditArchiveProps {
  readonly eventBus: events.IEventBus;
  /** Days EventBridge keeps each archived audit event. */
  readonly retentionDays: number;
  /** The stack's customer-managed key, when it has one: the archive is encrypted with it like the bus. */
  readonly encryptionKey?: kms.IKey;
}

export class AuditArchive extends Construct {
  readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);
    this.archive = new events.Archive(this, 'Archive', {
      sourceEventBus: props.eventBus,
      description: `chat.audit events (admin and support actions), kept ${props.retentionDays} days`,
      eventPattern: { source: [AUDIT_SOURCE], detailType: [AUDIT_DETAIL_TYPE] },
      retention: Duration.days(props.retentionDays),
    });
    const key = props.encryptionKey;
    if (key) {
      // Not `kmsKey`: the Archive construct would put the bus's ARN into the key policy while the bus names the key,
      // a dependency cycle CloudFormation refuses. The same grant, scoped to this account's buses instead.
      (this.archive.node.defaultChild as events.CfnArchive).kmsKeyIdentifier = key.keyArn;
      const stack = Stack.of(this);
      key.addToResourcePolicy(
        new iam.PolicyStatement({
          sid: 'EventBridgeArchivesOfThisAccount',
          principals: [new iam.ServicePrincipal('events.amazonaws.com')],
          actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:ReEncrypt*'],
          resources: ['*'],
          conditions: { ArnLike: { 'kms:EncryptionContext:aws:events:event-bus:arn': `arn:${stack.partition}:events:${stack.region}:${stack.account}:event-bus/*` } },
        }),
      );
      key.addToResourcePolicy(
        new iam.PolicyStatement({ sid: 'EventBridgeDescribeKey', principals: [new iam.ServicePrincipal('events.amazonaws.com')], actions: ['kms:DescribeKey'], resources: ['*'] }),
      );
    }
  }
}
