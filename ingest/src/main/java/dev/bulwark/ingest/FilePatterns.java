package dev.bulwark.ingest;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Expands file paths and globs ({@code /var/log/containers/*.log}) into the regular files they name, in a stable
 * order.
 *
 * <p>Why: globs are often quoted so that the collector, not the shell, expands them, and a follower re-expands them to
 * pick up files that appear later. Only the file-name part may hold wildcards, which keeps expansion to one directory
 * listing.
 */
public final class FilePatterns {

    private FilePatterns() {
    }

    /** True when the pattern holds glob syntax. */
    public static boolean isGlob(String pattern) {
        return pattern.indexOf('*') >= 0 || pattern.indexOf('?') >= 0 || pattern.indexOf('[') >= 0
                || pattern.indexOf('{') >= 0;
    }

    /**
     * The regular files the patterns name now; plain paths that do not exist are left out.
     *
     * @throws IllegalArgumentException when a directory part holds wildcards
     */
    public static Set<Path> expand(List<String> patterns) throws IOException {
        Set<Path> paths = new LinkedHashSet<>();
        for (String pattern : patterns) {
            Path absolute = Path.of(pattern).toAbsolutePath().normalize();
            if (!isGlob(pattern)) {
                if (Files.isRegularFile(absolute)) {
                    paths.add(absolute);
                }
                continue;
            }
            Path dir = absolute.getParent();
            if (dir == null || isGlob(dir.toString())) {
                throw new IllegalArgumentException("only the file name may hold wildcards: " + pattern);
            }
            if (!Files.isDirectory(dir)) {
                continue;
            }
            PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + absolute.getFileName());
            List<Path> matched = new ArrayList<>();
            try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
                for (Path path : stream) {
                    if (matcher.matches(path.getFileName()) && Files.isRegularFile(path)) {
                        matched.add(path);
                    }
                }
            }
            matched.sort(null);
            paths.addAll(matched);
        }
        return paths;
    }
}
