package dev.bulwark.ingest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Follows files like {@code tail -F}: through rotation (rename and re-create), truncation and files that appear
 * later under a glob, remembering each file's position in a state file so a restart neither reads a record twice nor
 * skips one.
 *
 * <p>Why: container logs and Falco's file output are appended forever and rotated by the kubelet or logrotate; a
 * collector that loses the tail of a rotated file, or re-reads a file after a restart, either misses an attack or
 * floods the SOC with duplicates.
 *
 * <p>Positions are saved only after Kafka acknowledged every record before them, and only up to the end of the last
 * complete record: lines a framer still holds (a partial CRI line waiting for its end) are read again after a restart.
 * A file that was rotated while the follower was down is found again by its file identity (inode) in the same
 * directory and read to its end before the new file. A crash between Kafka's acknowledgement and the state file
 * write can repeat at most the records of the last flush interval; their event ids are derived from the record bytes, so
 * the sink overwrites instead of duplicating.
 */
public final class FileFollower {

    private static final Logger LOG = LoggerFactory.getLogger(FileFollower.class);

    private final List<String> patterns;
    private final SourceParser parser;
    private final EventPublisher publisher;
    private final Path stateFile;
    private final int maxRecordBytes;
    private final Duration pollInterval;
    private final Duration idleAfter;
    private final Clock clock;
    private final Map<Path, Tail> tails = new LinkedHashMap<>();
    private final Map<Path, Position> restored = new TreeMap<>();
    private final ByteBuffer buffer = ByteBuffer.allocate(64 * 1024);

    /** A file's saved position: its identity, the byte offset after the last published record, and lines before it. */
    record Position(String fileKey, long offset, long lines) {
    }

    /**
     * @param patterns file paths or globs ({@code /var/log/containers/*.log}); globs are re-expanded on every poll so
     *        new files are picked up
     * @param stateFile where positions are kept (written atomically)
     * @param pollInterval how often files are checked for new data
     */
    public FileFollower(List<String> patterns, SourceParser parser, EventPublisher publisher, Path stateFile,
            int maxRecordBytes, Duration pollInterval) {
        this(patterns, parser, publisher, stateFile, maxRecordBytes, pollInterval, Duration.ofSeconds(1), Clock.systemUTC());
    }

    FileFollower(List<String> patterns, SourceParser parser, EventPublisher publisher, Path stateFile, int maxRecordBytes,
            Duration pollInterval, Duration idleAfter, Clock clock) {
        this.patterns = List.copyOf(patterns);
        this.parser = parser;
        this.publisher = publisher;
        this.stateFile = stateFile;
        this.maxRecordBytes = maxRecordBytes;
        this.pollInterval = pollInterval;
        this.idleAfter = idleAfter;
        this.clock = clock;
    }

    /**
     * Follows until {@code keepRunning} turns false, then publishes what is complete, waits for Kafka and saves
     * positions.
     */
    public void run(BooleanSupplier keepRunning) throws IOException, InterruptedException {
        loadState();
        try {
            while (keepRunning.getAsBoolean()) {
                boolean progressed = pollOnce();
                if (!progressed) {
                    Thread.sleep(pollInterval.toMillis());
                }
            }
        } finally {
            checkpoint();
            for (Tail tail : tails.values()) {
                tail.close();
            }
            tails.clear();
        }
    }

    /**
     * One round: discovers files, reads what was appended, handles rotation and truncation, then flushes Kafka and
     * saves positions.
     *
     * @return true when any bytes were read
     */
    public boolean pollOnce() throws IOException {
        if (restored.isEmpty() && tails.isEmpty()) {
            loadState();
        }
        boolean progressed = false;
        Set<Path> present = FilePatterns.expand(patterns);
        for (Path path : present) {
            if (!tails.containsKey(path)) {
                tails.put(path, open(path));
            }
        }
        for (Tail tail : new ArrayList<>(tails.values())) {
            progressed |= tail.poll(present.contains(tail.path));
            if (tail.gone) {
                tails.remove(tail.path);
            }
        }
        checkpoint();
        return progressed;
    }

    /** Positions as they would be saved now, for tests and status output. */
    Map<Path, Position> positions() {
        Map<Path, Position> positions = new TreeMap<>(restored);
        for (Tail tail : tails.values()) {
            positions.put(tail.path, tail.position());
        }
        return positions;
    }

    private void checkpoint() throws IOException {
        publisher.flush();
        saveState();
    }

    private Tail open(Path path) throws IOException {
        String key = fileKey(path);
        Position saved = restored.remove(path);
        if (saved != null && !saved.fileKey().equals(key)) {
            // Rotated while we were down: finish the old file (found by identity) from where we stopped.
            Path rotated = findByKey(path.getParent(), saved.fileKey());
            if (rotated != null) {
                LOG.info("{} was rotated to {} while stopped; reading its rest first", path, rotated);
                Tail old = new Tail(rotated, path.toString(), saved.fileKey(), saved.offset(), saved.lines());
                old.drainAndClose();
            } else {
                LOG.warn("{} was rotated while stopped and the old file is gone; its unread rest after byte {} is lost",
                        path, saved.offset());
            }
            saved = null;
        }
        long offset = saved == null ? 0 : saved.offset();
        long size = Files.size(path);
        if (offset > size) {
            LOG.info("{} is shorter than the saved position (truncated); reading from the start", path);
            offset = 0;
            saved = null;
        }
        return new Tail(path, path.toString(), key, offset, saved == null ? 0 : saved.lines());
    }

    private static Path findByKey(Path dir, String key) throws IOException {
        if (dir == null || !Files.isDirectory(dir)) {
            return null;
        }
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
            for (Path candidate : stream) {
                if (Files.isRegularFile(candidate) && key.equals(fileKey(candidate))) {
                    return candidate;
                }
            }
        }
        return null;
    }

    private static String fileKey(Path path) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        Object key = attributes.fileKey();
        return key != null ? key.toString() : "created:" + attributes.creationTime().toMillis();
    }

    private void loadState() throws IOException {
        if (!Files.exists(stateFile)) {
            return;
        }
        JsonNode root;
        try {
            root = SafeJson.readObject(Files.readAllBytes(stateFile));
        } catch (ParseException e) {
            throw new IOException("cannot read the follow state " + stateFile + ": " + e.getMessage()
                    + " (move it away to start over from the beginning of each file)", e);
        }
        JsonNode files = root.path("files");
        for (var it = files.fields(); it.hasNext(); ) {
            var entry = it.next();
            JsonNode value = entry.getValue();
            restored.put(Path.of(entry.getKey()), new Position(value.path("file_key").asText(),
                    value.path("offset").asLong(), value.path("lines").asLong()));
        }
    }

    private void saveState() throws IOException {
        ObjectNode root = SafeJson.mapper().createObjectNode();
        root.put("format", parser.format());
        ObjectNode files = root.putObject("files");
        positions().forEach((path, position) -> files.putObject(path.toString())
                .put("file_key", position.fileKey())
                .put("offset", position.offset())
                .put("lines", position.lines()));
        Path parent = stateFile.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path temp = Files.createTempFile(parent, ".follow-state", ".tmp");
        Files.write(temp, SafeJson.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(root));
        Files.move(temp, stateFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    /** One followed file: its channel, line splitter and framer, and the offsets of lines not yet published. */
    private final class Tail {
        final Path path;
        final String originName;
        final String fileKey;
        final FileChannel channel;
        final LineSplitter splitter;
        final RecordFramer framer;
        final Deque<long[]> unpublished = new ArrayDeque<>();
        long readOffset;
        long committedOffset;
        long committedLines;
        long lastDataAt;
        boolean idleSignalled;
        boolean gone;

        Tail(Path path, String originName, String fileKey, long offset, long lines) throws IOException {
            this.path = path;
            this.originName = originName;
            this.fileKey = fileKey;
            this.channel = FileChannel.open(path, StandardOpenOption.READ);
            this.readOffset = offset;
            this.committedOffset = offset;
            this.committedLines = lines;
            this.splitter = new LineSplitter(maxRecordBytes, offset, lines);
            this.framer = parser.framing().newFramer(maxRecordBytes);
            this.lastDataAt = clock.millis();
        }

        Position position() {
            return new Position(fileKey, committedOffset, committedLines);
        }

        /** Reads what was appended; handles truncation and rotation. */
        boolean poll(boolean pathPresent) throws IOException {
            String currentKey = null;
            if (pathPresent) {
                try {
                    currentKey = fileKey(path);
                } catch (NoSuchFileException e) {
                    currentKey = null;
                }
            }
            if (currentKey == null || !currentKey.equals(fileKey)) {
                // Renamed away or deleted (tail -F): read the old file to its end, then follow the new one.
                drainAndClose();
                gone = true;
                return true;
            }
            if (channel.size() < readOffset) {
                LOG.info("{} was truncated; reading from the start", path);
                finishPending();
                tails.put(path, new Tail(path, originName, fileKey, 0, 0));
                channel.close();
                return true;
            }
            boolean read = readAvailable();
            long now = clock.millis();
            if (read) {
                lastDataAt = now;
                idleSignalled = false;
            } else if (!idleSignalled && now - lastDataAt >= idleAfter.toMillis()) {
                framer.idle(this::publish);
                idleSignalled = true;
            }
            return read;
        }

        boolean readAvailable() throws IOException {
            boolean any = false;
            while (true) {
                buffer.clear();
                int n = channel.read(buffer, readOffset);
                if (n <= 0) {
                    return any;
                }
                any = true;
                readOffset += n;
                splitter.feed(buffer.array(), 0, n, this::frame);
            }
        }

        void drainAndClose() throws IOException {
            readAvailable();
            finishPending();
            close();
        }

        void finishPending() {
            splitter.finish(this::frame);
            framer.finish(this::publish);
        }

        void frame(LineSplitter.SplitLine line) {
            unpublished.addLast(new long[] {line.line().number(), line.endOffset()});
            framer.accept(line.line(), this::publish);
        }

        void publish(RecordFramer.Framed framed) {
            publisher.publish(parser, framed.bytes(), framed.size(), framed.origin(originName));
            while (!unpublished.isEmpty() && unpublished.peekFirst()[0] <= framed.lastLine()) {
                long[] done = unpublished.removeFirst();
                committedLines = done[0];
                committedOffset = done[1];
            }
        }

        void close() throws IOException {
            channel.close();
        }
    }
}
