/**
 * The smoke test's AWS adapters (`scripts/smoke/outputs.ts`, `cognito.ts`)
 * against fakes of the SDK clients: which commands they send with which
 * input, and what they make of the answers.
 */
import { describe, expect, it } from 'vitest';
import { DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { AdminCreateUserCommand, AdminDeleteUserCommand, AdminSetUserPasswordCommand, InitiateAuthCommand } from '@aws-sdk/client-cognito-identity-provider';
import { endpointsFromOutputs, readOutputsFile, readStackOutputs, StackOutputsError } from '../../scripts/smoke/outputs';
import { createSmokeUser, deleteSmokeUser, subject } from '../../scripts/smoke/cognito';

/** A fake SDK client: records every command and answers with `reply(command)`. */
function fake(reply: (command: any) => unknown) {
  const sent: any[] = [];
  return {
    sent,
    client: {
      send: async (command: any) => {
        sent.push(command);
        const answer = reply(command);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    } as any,
  };
}

const jwt = (claims: object) => `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;
const pool = { userPoolId: 'eu-west-1_abc', clientId: 'client-1' };

describe('stack outputs', () => {
  const outputs = { HttpApiUrl: 'https://h.example/', WebSocketUrl: 'wss://w.example/prod', UserPoolId: 'eu-west-1_abc', UserPoolClientId: 'c' };

  it('reads the endpoints and the Cognito pool from DescribeStacks', async () => {
    const cfn = fake(() => ({ Stacks: [{ Outputs: Object.entries(outputs).map(([OutputKey, OutputValue]) => ({ OutputKey, OutputValue })) }] }));
    const endpoints = await readStackOutputs(cfn.client, 'Chat-prod');
    expect(cfn.sent[0]).toBeInstanceOf(DescribeStacksCommand);
    expect(cfn.sent[0].input).toEqual({ StackName: 'Chat-prod' });
    expect(endpoints).toEqual({ baseUrl: 'https://h.example', wsUrl: 'wss://w.example/prod', cognito: { userPoolId: 'eu-west-1_abc', clientId: 'c' } });
  });

  it('prefers the CloudFront + WAF endpoints and has no pool with an external issuer', () => {
    const endpoints = endpointsFromOutputs({ HttpApiUrl: 'https://h', WebSocketUrl: 'wss://w', EdgeHttpApiUrl: 'https://edge', EdgeWebSocketUrl: 'wss://edge-ws' });
    expect(endpoints).toEqual({ baseUrl: 'https://edge', wsUrl: 'wss://edge-ws' });
  });

  it('names the missing output and the missing stack', async () => {
    expect(() => endpointsFromOutputs({ HttpApiUrl: 'https://h' }, 'Chat-dev')).toThrow(/Chat-dev has no WebSocketUrl output/);
    await expect(readStackOutputs(fake(() => ({ Stacks: [] })).client, 'Nope')).rejects.toBeInstanceOf(StackOutputsError);
  });

  it('reads a cdk outputs file, choosing the stack when it holds several', () => {
    expect(readOutputsFile({ 'Chat-dev': outputs }).baseUrl).toBe('https://h.example');
    const two = { 'Chat-dev': outputs, 'Chat-prod': { ...outputs, HttpApiUrl: 'https://prod' } };
    expect(() => readOutputsFile(two)).toThrow(/2 stacks.*--stack/);
    expect(readOutputsFile(two, 'Chat-prod').baseUrl).toBe('https://prod');
    expect(() => readOutputsFile(two, 'Other')).toThrow(/no stack Other/);
    expect(() => readOutputsFile('nope')).toThrow(StackOutputsError);
  });
});

describe('Cognito smoke users', () => {
  it('creates a user without an invitation, sets a permanent password, signs in and answers the token and sub', async () => {
    const token = jwt({ sub: 'sub-123', token_use: 'access' });
    const cognito = fake((command) => (command instanceof InitiateAuthCommand ? { AuthenticationResult: { AccessToken: token, IdToken: jwt({ sub: 'sub-123' }) } } : {}));
    const user = await createSmokeUser(cognito.client, pool, 'access', 'a');
    expect(user).toEqual({ username: expect.stringMatching(/^smoke-a-[0-9a-z]{26}$/), userId: 'sub-123', token });
    const [create, setPassword, auth] = cognito.sent;
    expect(create).toBeInstanceOf(AdminCreateUserCommand);
    expect(create.input).toEqual({ UserPoolId: pool.userPoolId, Username: user.username, MessageAction: 'SUPPRESS' });
    expect(setPassword).toBeInstanceOf(AdminSetUserPasswordCommand);
    expect(setPassword.input).toMatchObject({ UserPoolId: pool.userPoolId, Username: user.username, Permanent: true });
    expect(setPassword.input.Password).toMatch(/[A-Z]/);
    expect(setPassword.input.Password).toMatch(/[0-9]/);
    expect(auth).toBeInstanceOf(InitiateAuthCommand);
    expect(auth.input).toEqual({ ClientId: pool.clientId, AuthFlow: 'USER_PASSWORD_AUTH', AuthParameters: { USERNAME: user.username, PASSWORD: setPassword.input.Password } });
  });

  it('takes the id token when the API verifies id tokens', async () => {
    const idToken = jwt({ sub: 'sub-9' });
    const cognito = fake((command) => (command instanceof InitiateAuthCommand ? { AuthenticationResult: { AccessToken: jwt({ sub: 'x' }), IdToken: idToken } } : {}));
    expect((await createSmokeUser(cognito.client, pool, 'id')).token).toBe(idToken);
  });

  it('deletes the user again when sign-in fails, so a failed run leaves nothing', async () => {
    const cognito = fake((command) => (command instanceof InitiateAuthCommand ? { ChallengeName: 'NEW_PASSWORD_REQUIRED' } : {}));
    await expect(createSmokeUser(cognito.client, pool)).rejects.toThrow(/no access token \(challenge NEW_PASSWORD_REQUIRED\)/);
    const last = cognito.sent.at(-1);
    expect(last).toBeInstanceOf(AdminDeleteUserCommand);
    expect(last.input).toEqual({ UserPoolId: pool.userPoolId, Username: cognito.sent[0].input.Username });
  });

  it('counts a user that is already gone as deleted, and rethrows other errors', async () => {
    const gone = Object.assign(new Error('gone'), { name: 'UserNotFoundException' });
    await expect(deleteSmokeUser(fake(() => gone).client, pool, 'smoke-a')).resolves.toBeUndefined();
    await expect(deleteSmokeUser(fake(() => new Error('denied')).client, pool, 'smoke-a')).rejects.toThrow('denied');
  });

  it('reads the sub claim and refuses a token without one', () => {
    expect(subject(jwt({ sub: 'u1' }))).toBe('u1');
    expect(() => subject(jwt({}))).toThrow(/no sub/);
  });
});
