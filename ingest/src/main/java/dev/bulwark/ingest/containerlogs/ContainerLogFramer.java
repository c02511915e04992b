package dev.bulwark.ingest.containerlogs;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.RecordFramer;

/**
 * Frames a container log file (CRI or Docker json-file) into records that each hold one log message: its partial
 * chunks and its continuation lines, joined with {@code \n} exactly as they were in the file.
 *
 * <p>Why: whether a line continues the previous message is only known when it arrives, and only per stream, because
 * stdout and stderr are separate pipes whose lines interleave in one file. The framer therefore keeps at most one
 * pending group per stream:
 * <ul>
 *   <li>a line of the same stream joins the group when the group ends in a partial chunk (CRI {@code P}, Docker
 *       {@code log} without newline), or when {@link Multiline} says it continues a stack trace;</li>
 *   <li>otherwise the group is emitted and the line starts a new one;</li>
 *   <li>a line that does not decode (truncated, bad time, unknown stream, not JSON...) is emitted alone at once, so it
 *       is dead-lettered on its own and never spoils a good group; a line the reader cut because it was too long is
 *       emitted alone too, as oversized;</li>
 *   <li>a group never grows beyond {@code maxRecordBytes}: when the next line would not fit, the group is emitted and
 *       the line starts a new one (the parser marks a record that ends in a partial chunk);</li>
 *   <li>a group of one stream that has not grown while {@value #MAX_INTERLEAVED_LINES} lines of the other stream went
 *       by is emitted, so a quiet stream does not wait for the end of a busy file;</li>
 *   <li>{@link #idle} and {@link #finish} emit every pending group, oldest first, even one that ends in a partial
 *       chunk: runtimes write all chunks of a line at once (containerd writes a last line without newline as
 *       {@code P} when the stream closes), so a chunk that waits through a quiet period is not about to be completed.</li>
 * </ul>
 * Records of the two streams may therefore leave the framer slightly out of line order; each event carries its own
 * timestamp.
 */
final class ContainerLogFramer implements RecordFramer {

    /** Lines of the other stream after which a pending group is considered complete. */
    static final int MAX_INTERLEAVED_LINES = 100;

    private final LineDecoder decoder;
    private final int maxRecordBytes;
    private final Map<String, Group> pending = new HashMap<>(4);

    /** Lines of one stream waiting to be emitted as one record. */
    private static final class Group {
        private final List<byte[]> lines = new ArrayList<>();
        private final long firstLine;
        private long lastLine;
        private long bytes;
        private boolean openPartial;
        private Multiline.State state;

        private Group(long firstLine, Multiline.State state) {
            this.firstLine = firstLine;
            this.lastLine = firstLine;
            this.state = state;
        }

        private void add(Line line, boolean partial) {
            bytes += (lines.isEmpty() ? 0 : 1) + line.bytes().length;
            lines.add(line.bytes());
            lastLine = line.number();
            openPartial = partial;
        }

        private Framed framed() {
            ByteArrayOutputStream out = new ByteArrayOutputStream((int) bytes);
            for (int i = 0; i < lines.size(); i++) {
                if (i > 0) {
                    out.write('\n');
                }
                out.writeBytes(lines.get(i));
            }
            byte[] record = out.toByteArray();
            return new Framed(record, record.length, firstLine, lastLine);
        }
    }

    ContainerLogFramer(LineDecoder decoder, int maxRecordBytes) {
        if (maxRecordBytes < 1) {
            throw new IllegalArgumentException("maxRecordBytes must be positive");
        }
        this.decoder = decoder;
        this.maxRecordBytes = maxRecordBytes;
    }

    @Override
    public void accept(Line line, Consumer<Framed> out) {
        if (line.cut()) {
            out.accept(alone(line));
            flushStale(line.number(), null, out);
            return;
        }
        DecodedLine decoded;
        try {
            decoded = decoder.decode(line.bytes());
        } catch (ParseException | RuntimeException e) {
            // The parser will reject it with the reason; alone, it cannot take good lines to the dead letters.
            out.accept(alone(line));
            flushStale(line.number(), null, out);
            return;
        }
        String stream = decoded.stream();
        Group group = pending.get(stream);
        boolean startsLogicalLine = group == null || !group.openPartial;
        if (group != null) {
            boolean joins = group.openPartial || Multiline.continues(group.state, decoded.message());
            if (!joins || group.bytes + 1 + line.bytes().length > maxRecordBytes) {
                emit(stream, out);
                group = null;
            }
        }
        if (group == null) {
            group = new Group(line.number(), Multiline.start(decoded.message()));
            pending.put(stream, group);
        } else if (startsLogicalLine) {
            group.state = Multiline.after(group.state, decoded.message());
        }
        group.add(line, decoded.partial());
        flushStale(line.number(), stream, out);
    }

    @Override
    public void idle(Consumer<Framed> out) {
        emitAll(out);
    }

    @Override
    public void finish(Consumer<Framed> out) {
        emitAll(out);
    }

    private void emitAll(Consumer<Framed> out) {
        List<Map.Entry<String, Group>> groups = new ArrayList<>(pending.entrySet());
        groups.sort(Comparator.comparingLong(e -> e.getValue().firstLine));
        pending.clear();
        for (Map.Entry<String, Group> entry : groups) {
            out.accept(entry.getValue().framed());
        }
    }

    private void flushStale(long lineNumber, String currentStream, Consumer<Framed> out) {
        if (pending.isEmpty()) {
            return;
        }
        List<String> stale = new ArrayList<>(2);
        for (Map.Entry<String, Group> entry : pending.entrySet()) {
            if (!entry.getKey().equals(currentStream) && lineNumber - entry.getValue().lastLine > MAX_INTERLEAVED_LINES) {
                stale.add(entry.getKey());
            }
        }
        stale.sort(Comparator.comparingLong(stream -> pending.get(stream).firstLine));
        for (String stream : stale) {
            emit(stream, out);
        }
    }

    private void emit(String stream, Consumer<Framed> out) {
        Group group = pending.remove(stream);
        if (group != null) {
            out.accept(group.framed());
        }
    }

    private static Framed alone(Line line) {
        return new Framed(line.bytes(), line.size(), line.number(), line.number());
    }
}
