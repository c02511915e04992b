package dev.bulwark.samples;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.Objects;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The real public sample inputs the tests assert on, found by their path relative to the sample root, for example
 * {@code falco/falco_alerts_real.ndjson} or the folder {@code k8s_audit/falco_trace_files}. Provenance and licences are
 * in {@code SOURCES.md} at the root.
 *
 * <p>Every path returned is a real file-system path, so a test can list a folder, copy a file or hand it to code that
 * takes a {@link Path}. When the samples are on the class path as a folder (an IDE, or Maven's {@code target/classes})
 * the paths point into it. When they are inside a jar (a reactor build that packaged this module) the whole tree is
 * extracted once into a temporary folder, which is deleted when the JVM exits.
 */
public final class Samples {

    /** Where the samples sit on the class path. */
    static final String RESOURCE_ROOT = "dev/bulwark/samples/data/";

    /** The file at the top of the tree, used to find it. */
    static final String MARKER = "SOURCES.md";

    private static Path root;

    private Samples() {
    }

    /** The folder holding all samples. */
    public static synchronized Path root() {
        if (root == null) {
            root = locate();
        }
        return root;
    }

    /**
     * A sample file or folder.
     *
     * @param relative its path below the sample root, with {@code /} between names
     * @throws IllegalArgumentException if there is no such sample, or the path leads out of the sample root
     */
    public static Path path(String relative) {
        Objects.requireNonNull(relative, "relative");
        Path base = root();
        Path resolved = base.resolve(relative).normalize();
        if (!resolved.startsWith(base)) {
            throw new IllegalArgumentException("not a sample path: '" + relative + "' leads out of the sample root");
        }
        if (!Files.exists(resolved)) {
            throw new IllegalArgumentException("no sample '" + relative + "' in bulwark-samples (looked in " + base + ")");
        }
        return resolved;
    }

    /** The non-blank lines of a sample file, read as UTF-8. */
    public static List<String> lines(String relative) throws IOException {
        return Files.readAllLines(path(relative), UTF_8).stream().filter(line -> !line.isBlank()).toList();
    }

    private static Path locate() {
        URL marker = Samples.class.getResource("/" + RESOURCE_ROOT + MARKER);
        if (marker == null) {
            throw new IllegalStateException("the samples (" + RESOURCE_ROOT + ") are not on the class path");
        }
        try {
            return switch (marker.getProtocol()) {
                case "file" -> Path.of(marker.toURI()).getParent();
                case "jar" -> extract(marker);
                default -> throw new IllegalStateException("cannot read the samples from " + marker);
            };
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract the samples from " + marker, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot read the samples from " + marker, e);
        }
    }

    /**
     * Copies every entry below {@link #RESOURCE_ROOT} of the jar holding {@code marker} into a new temporary folder,
     * deleted when the JVM exits, and returns that folder.
     */
    static Path extract(URL marker) throws IOException {
        JarURLConnection connection = (JarURLConnection) marker.openConnection();
        connection.setUseCaches(false);
        Path target = Files.createTempDirectory("bulwark-samples-").toRealPath();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteTree(target), "bulwark-samples-cleanup"));
        try (JarFile jar = connection.getJarFile()) {
            for (Enumeration<JarEntry> entries = jar.entries(); entries.hasMoreElements(); ) {
                JarEntry entry = entries.nextElement();
                String name = entry.getName();
                if (!name.startsWith(RESOURCE_ROOT)) {
                    continue;
                }
                Path destination = target.resolve(name.substring(RESOURCE_ROOT.length())).normalize();
                if (!destination.startsWith(target)) {
                    throw new IOException("jar entry " + name + " leads out of the sample root");
                }
                if (entry.isDirectory()) {
                    Files.createDirectories(destination);
                    continue;
                }
                Files.createDirectories(destination.getParent());
                try (InputStream in = jar.getInputStream(entry)) {
                    Files.copy(in, destination);
                }
            }
        }
        if (!Files.isRegularFile(target.resolve(MARKER))) {
            throw new IOException(MARKER + " missing from the samples extracted out of " + marker);
        }
        return target;
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // best effort: the folder is in the temporary directory
        }
    }
}
