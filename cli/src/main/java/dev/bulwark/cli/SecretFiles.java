package dev.bulwark.cli;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the files that hold secrets (passwords, credentials files, keys), for Kafka and Elasticsearch alike.
 *
 * <p>Why one place: every secret file gets the same treatment. Its content never goes into a message, and a file the
 * group or others can read is reported once per process.
 */
final class SecretFiles {

    private static final Set<Path> WARNED = ConcurrentHashMap.newKeySet();

    private SecretFiles() {
    }

    /** A {@code key=value} file, e.g. {@code sink.username=} and {@code sink.password=} lines. */
    static Properties properties(Path file, String setting) {
        warnIfOthersCanRead(file);
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            properties.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + setting + " " + file, e);
        }
        return properties;
    }

    /** The first line of a password file, stripped; null for a null path. */
    static String firstLine(Path file) {
        if (file == null) {
            return null;
        }
        warnIfOthersCanRead(file);
        String text = read(file);
        int end = text.indexOf('\n');
        return (end < 0 ? text : text.substring(0, end)).strip();
    }

    /** A whole file (a PEM key or certificate chain). */
    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    /** Secrets readable by the group or others are a finding in themselves; say so once, without the content. */
    private static void warnIfOthersCanRead(Path file) {
        if (!WARNED.add(file.toAbsolutePath())) {
            return;
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(file);
            if (permissions.contains(PosixFilePermission.GROUP_READ) || permissions.contains(PosixFilePermission.OTHERS_READ)) {
                BulwarkCommand.say("warning: " + file + " holds a secret but others can read it; chmod 600 " + file);
            }
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system: nothing to check
        }
    }
}
