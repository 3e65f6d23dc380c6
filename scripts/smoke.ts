/**
 * `npm run smoke -- --stack <name> [--region R] [--token-use access|id]`
 * `npm run smoke -- --outputs cdk-outputs.json [--stack <name>]`
 * `npm run smoke -- --stack <name> --token-a <JWT> --token-b <JWT>` (external OIDC issuer)
 * `npm run smoke -- --local [--url http://127.0.0.1:3000]`
 *
 * Drives the core path of a deployed (or the local) stack with two throwaway
 * users and removes what it created (`scripts/smoke/run.ts` lists the steps).
 * With the stack's Cognito pool and no tokens given it creates the users and
 * deletes them at the end; with `--local` it mints tokens from the local
 * issuer. Prints one line per step; exit code 0 when every step passed and
 * cleanup finished, 1 otherwise (2: bad arguments or unreadable outputs).
 */
import { readFile } from 'node:fs/promises';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { ulid } from 'ulid';
import { localBaseUrl, mintDevToken, parseCli } from './dev-token';
import { createSmokeUser, deleteSmokeUser, subject, type SmokeUser } from './smoke/cognito';
import { readOutputsFile, readStackOutputs, type StackEndpoints } from './smoke/outputs';
import { runSmoke, type SmokeTarget } from './smoke/run';

const usage =
  'usage: npm run smoke -- (--stack <name> | --outputs <cdk-outputs.json> | --local [--url U]) [--region R] [--token-use access|id] [--token-a JWT --token-b JWT] [--timeout-ms N]';

const { values } = parseCli(usage, {
  stack: { type: 'string' },
  outputs: { type: 'string' },
  local: { type: 'boolean' },
  url: { type: 'string' },
  region: { type: 'string' },
  'token-use': { type: 'string' },
  'token-a': { type: 'string' },
  'token-b': { type: 'string' },
  'timeout-ms': { type: 'string' },
});

const bad = (message: string): never => {
  process.stderr.write(`${message}\n${usage}\n`);
  process.exit(2);
};
const log = (line: string) => process.stdout.write(`${line}\n`);
const tokenUse = (values['token-use'] ?? 'access') as 'access' | 'id';
if (tokenUse !== 'access' && tokenUse !== 'id') bad('--token-use must be access or id');
if (!!values['token-a'] !== !!values['token-b']) bad('--token-a and --token-b go together');
const timeoutMs = values['timeout-ms'] ? Number(values['timeout-ms']) : undefined;

let endpoints: StackEndpoints;
const created: SmokeUser[] = [];
let cognito: CognitoIdentityProviderClient | undefined;
let users: [SmokeTarget['a'], SmokeTarget['b']];

try {
  if (values.local) {
    const baseUrl = (values.url ?? localBaseUrl()).replace(/\/+$/, '');
    endpoints = { baseUrl, wsUrl: `${baseUrl.replace(/^http/, 'ws')}/ws` };
  } else if (values.outputs) {
    endpoints = readOutputsFile(JSON.parse(await readFile(values.outputs, 'utf8')), values.stack);
  } else if (values.stack) {
    endpoints = await readStackOutputs(new CloudFormationClient({ region: values.region }), values.stack);
  } else {
    bad('one of --stack, --outputs or --local is required');
  }
} catch (error) {
  bad((error as Error).message);
}

if (values['token-a'] && values['token-b']) {
  users = [
    { userId: subject(values['token-a']), token: values['token-a'] },
    { userId: subject(values['token-b']), token: values['token-b'] },
  ];
} else if (values.local) {
  const run = ulid().toLowerCase();
  const ids = [`smoke-a-${run}`, `smoke-b-${run}`];
  const tokens = await Promise.all(ids.map((userId) => mintDevToken(endpoints!.baseUrl, { userId, name: userId })));
  users = [
    { userId: ids[0]!, token: tokens[0]! },
    { userId: ids[1]!, token: tokens[1]! },
  ];
} else if (endpoints!.cognito) {
  const pool = endpoints!.cognito;
  cognito = new CognitoIdentityProviderClient({ region: values.region ?? pool.userPoolId.split('_')[0] });
  try {
    created.push(await createSmokeUser(cognito, pool, tokenUse, 'a'));
    created.push(await createSmokeUser(cognito, pool, tokenUse, 'b'));
  } catch (error) {
    for (const user of created) await deleteSmokeUser(cognito, pool, user.username).catch(() => undefined);
    process.stderr.write(`could not create Cognito users: ${(error as Error).message}\n`);
    process.exit(1);
  }
  users = [created[0]!, created[1]!];
} else {
  bad('the stack has no Cognito user pool (external OIDC issuer): pass --token-a and --token-b');
}

log(`smoke: ${endpoints!.baseUrl} (${endpoints!.wsUrl}) as ${users![0].userId}, ${users![1].userId}`);
const result = await runSmoke({ ...endpoints!, a: users![0], b: users![1], log, timeoutMs });
let ok = result.ok;
if (cognito && endpoints!.cognito) {
  for (const user of created) {
    try {
      await deleteSmokeUser(cognito, endpoints!.cognito, user.username);
      log(`ok   delete Cognito user ${user.username}`);
    } catch (error) {
      ok = false;
      log(`FAIL delete Cognito user ${user.username}: ${(error as Error).message}`);
    }
  }
}
log(ok ? 'smoke: PASS' : 'smoke: FAIL');
process.exit(ok ? 0 : 1);
