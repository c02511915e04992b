package dev.bulwark.ingest;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Locates the real public sample files in {@code ../shared/samples} beside the checkout. */
public final class Samples {

    private Samples() {
    }

    /** A file under {@code shared/samples}, found by walking up from the working directory. */
    public static Path path(String relative) {
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            Path candidate = dir.resolveSibling("shared").resolve("samples").resolve(relative);
            if (Files.exists(candidate)) {
                return candidate;
            }
            candidate = dir.resolve("shared").resolve("samples").resolve(relative);
            if (Files.exists(candidate)) {
                return candidate;
            }
        }
        throw new IllegalStateException("sample not found: shared/samples/" + relative);
    }

    /** Non-blank lines of a sample file. */
    public static List<String> lines(String relative) throws IOException {
        return Files.readAllLines(path(relative)).stream().filter(l -> !l.isBlank()).toList();
    }
}
