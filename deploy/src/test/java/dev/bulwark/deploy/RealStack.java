package dev.bulwark.deploy;

import java.util.UUID;

/**
 * The real Kafka broker and Elasticsearch node that integration tests run against.
 *
 * <p>Why: integration tests must use the real stack, yet each module's tests run in their own JVM. The first test to
 * ask starts a dedicated test stack (state in {@code .bulwark/test-stack}, Kafka on 19092, Elasticsearch on 19200) if
 * one is not answering already; later tests reuse it. {@code ./bulwark test} starts it before and stops it after the
 * suite. Tests isolate themselves with {@link #uniquePrefix}.
 */
public final class RealStack {

    private static LocalStack stack;

    private RealStack() {
    }

    /** The running test stack, started if needed. */
    public static synchronized LocalStack get() {
        if (stack == null) {
            var root = LocalStack.findRepoRoot();
            String home = System.getenv().getOrDefault("BULWARK_TEST_HOME", root.resolve(".bulwark/test-stack").toString());
            LocalStack candidate = new LocalStack(root, java.nio.file.Path.of(home),
                    intEnv("BULWARK_TEST_KAFKA_PORT", 19092), intEnv("BULWARK_TEST_KAFKA_CONTROLLER_PORT", 19093),
                    intEnv("BULWARK_TEST_ES_PORT", 19200), intEnv("BULWARK_TEST_ES_TRANSPORT_PORT", 19300));
            if (!candidate.healthy()) {
                try {
                    int exit = candidate.run("up");
                    if (exit != 0) {
                        throw new IllegalStateException("the test stack did not come up (exit " + exit + "); see the output above");
                    }
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("cannot start the test stack: " + e.getMessage(), e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while starting the test stack", e);
                }
            }
            stack = candidate;
        }
        return stack;
    }

    /** A topic/index prefix no other test run uses, e.g. {@code it-falcoingest-1a2b3c4d.}. */
    public static String uniquePrefix(String testName) {
        return "it-" + testName.toLowerCase(java.util.Locale.ROOT).replaceAll("[^a-z0-9]", "")
                + "-" + UUID.randomUUID().toString().substring(0, 8) + ".";
    }

    private static int intEnv(String name, int fallback) {
        String value = System.getenv(name);
        return value == null || value.isBlank() ? fallback : Integer.parseInt(value.strip());
    }
}
