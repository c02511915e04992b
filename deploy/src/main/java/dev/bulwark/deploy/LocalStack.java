package dev.bulwark.deploy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The local single-node stack (a KRaft Kafka broker and an Elasticsearch node on loopback), driven through
 * {@code deploy/local/stack.sh}.
 *
 * <p>Why: the launcher's {@code local up|down|status}, the demo and the integration tests all need the same real stack;
 * the script does the process work (fetch through Maven, start, wait for health, stop) and this class gives Java callers
 * a typed handle on it.
 *
 * @param repoRoot the project checkout holding {@code deploy/local/stack.sh}
 * @param home state folder ({@code BULWARK_HOME}) for data, logs and pid files
 * @param kafkaPort broker port
 * @param kafkaControllerPort KRaft controller port
 * @param elasticsearchPort Elasticsearch HTTP port
 * @param elasticsearchTransportPort Elasticsearch transport port
 */
public record LocalStack(Path repoRoot, Path home, int kafkaPort, int kafkaControllerPort, int elasticsearchPort,
                         int elasticsearchTransportPort) {

    /** Where the stack script lives inside a checkout. */
    public static final String STACK_SCRIPT = "deploy/local/stack.sh";

    /** The default stack: {@code <repo>/.bulwark}, Kafka on 9092, Elasticsearch on 9200. */
    public static LocalStack defaults(Path repoRoot) {
        return new LocalStack(repoRoot, repoRoot.resolve(".bulwark"), 9092, 9093, 9200, 9300);
    }

    /** Kafka bootstrap servers of this stack: every broker of it. */
    public String kafkaBootstrap() {
        StringBuilder list = new StringBuilder();
        for (int i = 0; i < brokers(); i++) {
            list.append(i == 0 ? "" : ",").append("127.0.0.1:").append(kafkaPort + 100 * i);
        }
        return list.toString();
    }

    /** How many brokers the stack was made with ({@code up --brokers N}, kept in {@code <home>/topology}); 1 by default. */
    public int brokers() {
        return topology("brokers");
    }

    /** How many Elasticsearch nodes the stack was made with ({@code up --es-nodes N}); 1 by default. */
    public int elasticsearchNodes() {
        return topology("es_nodes");
    }

    private int topology(String key) {
        Path file = home.resolve("topology");
        if (!Files.isRegularFile(file)) {
            return 1;
        }
        try {
            for (String line : Files.readAllLines(file)) {
                if (line.startsWith(key + "=")) {
                    return Integer.parseInt(line.substring(key.length() + 1).trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            throw new IllegalStateException("cannot read the stack's topology in " + file + ": " + e.getMessage(), e);
        }
        return 1;
    }

    /** Elasticsearch URL of this stack. */
    public String elasticsearchUrl() {
        return "http://127.0.0.1:" + elasticsearchPort;
    }

    /** The script that manages the processes. */
    public Path script() {
        return repoRoot.resolve(STACK_SCRIPT);
    }

    /** Environment that points the script at this stack. */
    public Map<String, String> environment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("BULWARK_HOME", home.toString());
        env.put("BULWARK_KAFKA_PORT", Integer.toString(kafkaPort));
        env.put("BULWARK_KAFKA_CONTROLLER_PORT", Integer.toString(kafkaControllerPort));
        env.put("BULWARK_ES_PORT", Integer.toString(elasticsearchPort));
        env.put("BULWARK_ES_TRANSPORT_PORT", Integer.toString(elasticsearchTransportPort));
        return env;
    }

    /**
     * Runs {@code stack.sh <command> [args]} with its output on this process's console.
     *
     * @return the script's exit code
     */
    public int run(String command, String... args) throws IOException, InterruptedException {
        return run(Map.of(), command, args);
    }

    /**
     * Runs {@code stack.sh <command> [args]} with more settings in its environment (such as
     * {@code BULWARK_KAFKA_MTLS_PORT}) and its output on this process's console.
     *
     * @return the script's exit code
     */
    public int run(Map<String, String> settings, String command, String... args) throws IOException, InterruptedException {
        if (!Files.isRegularFile(script())) {
            throw new IOException("cannot find " + script() + "; run Bulwark from its checkout or set BULWARK_REPO");
        }
        List<String> cmd = new ArrayList<>(List.of("bash", script().toString(), command));
        cmd.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(cmd).directory(repoRoot.toFile()).inheritIO();
        builder.environment().putAll(settings);
        builder.environment().putAll(environment());
        return builder.start().waitFor();
    }

    /**
     * Runs {@code stack.sh <command> [args]} and returns what it printed (stdout and stderr).
     *
     * @throws IOException when the script fails, with the end of its output
     */
    public String runCapturing(String command, String... args) throws IOException, InterruptedException {
        if (!Files.isRegularFile(script())) {
            throw new IOException("cannot find " + script() + "; run Bulwark from its checkout or set BULWARK_REPO");
        }
        List<String> cmd = new ArrayList<>(List.of("bash", script().toString(), command));
        cmd.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(cmd).directory(repoRoot.toFile()).redirectErrorStream(true);
        builder.environment().putAll(environment());
        Process process = builder.start();
        String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        int exit = process.waitFor();
        if (exit != 0) {
            String tail = output.length() > 2000 ? output.substring(output.length() - 2000) : output;
            throw new IOException("stack.sh " + command + " failed with exit code " + exit + ":\n" + tail);
        }
        return output;
    }

    /** True when the broker port accepts connections and Elasticsearch answers its health endpoint. */
    public boolean healthy() {
        return kafkaReachable() && elasticsearchReachable();
    }

    /** True when something accepts TCP connections on the broker port. */
    public boolean kafkaReachable() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", kafkaPort), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** True when Elasticsearch reports green or yellow health. */
    public boolean elasticsearchReachable() {
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(elasticsearchUrl() + "/_cluster/health"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
            return response.statusCode() == 200 && !response.body().contains("\"status\":\"red\"");
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * Finds the project checkout: {@code BULWARK_REPO} if set, else the first parent of the working directory holding
     * {@code deploy/local/stack.sh}.
     *
     * @throws IllegalStateException when there is none, with a message that says the command needs a checkout
     */
    public static Path findRepoRoot() {
        return findRepoRoot("this command");
    }

    /**
     * {@link #findRepoRoot()}, naming {@code command} in the message when there is no checkout: the installed
     * distribution has no {@code deploy/local/stack.sh}, so its {@code local} and {@code demo} end up here.
     */
    public static Path findRepoRoot(String command) {
        String configured = System.getenv("BULWARK_REPO");
        if (configured != null && !configured.isBlank()) {
            Path root = Path.of(configured).toAbsolutePath().normalize();
            if (!Files.isRegularFile(root.resolve(STACK_SCRIPT))) {
                throw new IllegalStateException(command + " needs a Bulwark source checkout, but BULWARK_REPO is " + root
                        + ", which has no " + STACK_SCRIPT + "; set BULWARK_REPO to the folder of a checkout or unset it");
            }
            return root;
        }
        Path workingDirectory = Path.of("").toAbsolutePath();
        for (Path dir = workingDirectory; dir != null; dir = dir.getParent()) {
            if (Files.isRegularFile(dir.resolve(STACK_SCRIPT))) {
                return dir;
            }
        }
        throw new IllegalStateException(command + " needs a Bulwark source checkout: it drives " + STACK_SCRIPT
                + ", which is neither in " + workingDirectory + " nor in any folder above it. Run it from inside a checkout"
                + " with the checkout's ./bulwark launcher, or set BULWARK_REPO to the checkout's folder");
    }
}
