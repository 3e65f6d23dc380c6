/**
 * `scripts/validate-template.ts` (issue 19, `.ci/run`): a broken template
 * yields each kind of finding, a valid one none.
 */
import { describe, expect, it } from 'vitest';
import { ResourceSpec, validateTemplate, type Finding } from '../../scripts/validate-template';

const spec = new ResourceSpec();

const valid = {
  Resources: {
    Dlq: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true, MessageRetentionPeriod: 1209600 } },
    Queue: {
      Type: 'AWS::SQS::Queue',
      Properties: { FifoQueue: 'true', VisibilityTimeout: '90', RedrivePolicy: { deadLetterTargetArn: { 'Fn::GetAtt': ['Dlq', 'Arn'] }, maxReceiveCount: 3 } },
      DependsOn: ['Dlq'],
    },
    Topic: { Type: 'AWS::SNS::Topic', Properties: { Tags: [{ Key: 'chat:stage', Value: 'prod' }] } },
    Alarm: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        ComparisonOperator: 'GreaterThanThreshold',
        EvaluationPeriods: 1,
        Threshold: 0,
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Namespace: 'AWS/SQS',
        Statistic: 'Maximum',
        Period: 60,
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['Dlq', 'QueueName'] } }],
        AlarmActions: [{ Ref: 'Topic' }],
      },
    },
    Function: {
      Type: 'AWS::Lambda::Function',
      Properties: { Code: { ZipFile: 'exports.handler = async () => {}' }, Role: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:role/x' }, TracingConfig: { Mode: 'Active' } },
    },
  },
  Outputs: { QueueUrl: { Value: { Ref: 'Queue' } }, Region: { Value: { Ref: 'AWS::Region' } } },
};

const kinds = (findings: Finding[]) => findings.map((f) => `${f.kind} ${f.path}`).sort();

describe('validateTemplate', () => {
  it('finds nothing in a valid template (CloudFormation coercions such as "90" for an integer allowed)', () => {
    expect(validateTemplate(valid, spec)).toEqual([]);
  });

  it('reports each kind of defect, where it is', () => {
    const broken = structuredClone(valid) as any;
    broken.Resources.Queue.Properties.VisibiltyTimeout = 90; // misspelled
    broken.Resources.Queue.Properties.FifoQueue = 'yes'; // not a boolean
    broken.Resources.Queue.Properties.RedrivePolicy.deadLetterTargetArn = { 'Fn::GetAtt': ['Dlq', 'Url'] }; // no such attribute
    broken.Resources.Queue.DependsOn = ['Dql'];
    delete broken.Resources.Function.Properties.Role; // required
    broken.Resources.Alarm.Properties.Threshold = [0];
    broken.Resources.Alarm.Properties.AlarmActions = [{ Ref: 'Topik' }];
    broken.Resources.Function.Properties.TracingConfig = { Mode: 'On' }; // not an allowed value
    broken.Resources.Function.Properties.Code = { ZipFile: 'x', S3Buckett: 'b' }; // nested unknown property
    broken.Resources.Topic.Properties.DisplayName = { 'Fn::Sub': 'alarms of ${AWS::StackName} ${MissingTopic}' };
    broken.Resources.Bucket = { Type: 'AWS::S3::Buckets', Properties: {} };
    broken.Outputs.Gone = { Value: { 'Fn::GetAtt': ['Nowhere', 'Arn'] } };

    const findings = validateTemplate(broken, spec);
    expect(kinds(findings)).toEqual(
      [
        'unknown-property Resources.Queue.Properties.VisibiltyTimeout',
        'wrong-type Resources.Queue.Properties.FifoQueue',
        'dangling-ref Resources.Queue.Properties.RedrivePolicy.deadLetterTargetArn',
        'dangling-ref Resources.Queue.DependsOn',
        'missing-property Resources.Function.Properties.Role',
        'wrong-type Resources.Alarm.Properties.Threshold',
        'dangling-ref Resources.Alarm.Properties.AlarmActions.0',
        'bad-value Resources.Function.Properties.TracingConfig.Mode',
        'unknown-property Resources.Function.Properties.Code.S3Buckett',
        'dangling-ref Resources.Topic.Properties.DisplayName',
        'unknown-type Resources.Bucket.Type',
        'dangling-ref Outputs.Gone.Value',
      ].sort(),
    );
    const message = (path: string) => findings.find((f) => f.path === path)!.message;
    expect(message('Resources.Queue.Properties.VisibiltyTimeout')).toMatch(/did you mean VisibilityTimeout\?/);
    expect(message('Resources.Function.Properties.TracingConfig.Mode')).toMatch(/not one of Active, PassThrough/);
    expect(message('Resources.Queue.Properties.RedrivePolicy.deadLetterTargetArn')).toMatch(/AWS::SQS::Queue has no attribute Url/);
    expect(message('Resources.Topic.Properties.DisplayName')).toMatch(/MissingTopic/);
  });
});
