/**
 * Where the smoke test finds a deployed stack: the stack's CloudFormation
 * outputs (`lib/chat-stack.ts`, `lib/perimeter.ts` declare them), read either
 * live (`DescribeStacks`) or from `cdk deploy --outputs-file cdk-outputs.json`
 * (`{ "<StackName>": { "<OutputKey>": "<value>" } }`).
 *
 * Keys used: `HttpApiUrl`, `WebSocketUrl` (required); `EdgeHttpApiUrl`,
 * `EdgeWebSocketUrl` (preferred when present: clients go through CloudFront +
 * WAF); `UserPoolId`, `UserPoolClientId` (present only with the built-in
 * Cognito user pool; absent with an external OIDC issuer).
 */
import { DescribeStacksCommand, type CloudFormationClient } from '@aws-sdk/client-cloudformation';

export interface StackEndpoints {
  /** HTTP API base URL without a trailing slash. */
  baseUrl: string;
  /** WebSocket URL (`wss://…`), connect with `?token=<JWT>`. */
  wsUrl: string;
  /** Built-in Cognito pool, when the stack has one. */
  cognito?: { userPoolId: string; clientId: string };
}

/** Thrown when outputs are missing or the stack cannot be found. */
export class StackOutputsError extends Error {
  override readonly name = 'StackOutputsError';
}

/** Picks the endpoints out of one stack's outputs (key → value). Throws StackOutputsError naming a missing key. */
export function endpointsFromOutputs(outputs: Record<string, string>, stackName = 'the stack'): StackEndpoints {
  const pick = (edge: string, direct: string) => {
    const value = outputs[edge] ?? outputs[direct];
    if (!value) throw new StackOutputsError(`${stackName} has no ${direct} output (outputs: ${Object.keys(outputs).join(', ') || 'none'})`);
    return value.replace(/\/+$/, '');
  };
  const endpoints: StackEndpoints = { baseUrl: pick('EdgeHttpApiUrl', 'HttpApiUrl'), wsUrl: pick('EdgeWebSocketUrl', 'WebSocketUrl') };
  if (outputs.UserPoolId && outputs.UserPoolClientId) endpoints.cognito = { userPoolId: outputs.UserPoolId, clientId: outputs.UserPoolClientId };
  return endpoints;
}

/** Reads a stack's outputs with `DescribeStacks`. `cfn` is any client with `send` (a fake in tests). */
export async function readStackOutputs(cfn: Pick<CloudFormationClient, 'send'>, stackName: string): Promise<StackEndpoints> {
  const answer = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
  const stack = answer.Stacks?.[0];
  if (!stack) throw new StackOutputsError(`stack ${stackName} not found`);
  const outputs: Record<string, string> = {};
  for (const output of stack.Outputs ?? []) if (output.OutputKey && output.OutputValue) outputs[output.OutputKey] = output.OutputValue;
  return endpointsFromOutputs(outputs, stackName);
}

/**
 * Reads a `cdk deploy --outputs-file` document. With several stacks in it,
 * `stackName` chooses one (otherwise StackOutputsError); with one it is taken.
 */
export function readOutputsFile(document: unknown, stackName?: string): StackEndpoints {
  if (!document || typeof document !== 'object') throw new StackOutputsError('outputs file is not a JSON object');
  const stacks = document as Record<string, Record<string, string>>;
  const names = Object.keys(stacks);
  const name = stackName ?? (names.length === 1 ? names[0] : undefined);
  if (!name) throw new StackOutputsError(`outputs file has ${names.length} stacks (${names.join(', ')}); pass --stack <name>`);
  const outputs = stacks[name];
  if (!outputs) throw new StackOutputsError(`outputs file has no stack ${name} (has ${names.join(', ')})`);
  return endpointsFromOutputs(outputs, name);
}
