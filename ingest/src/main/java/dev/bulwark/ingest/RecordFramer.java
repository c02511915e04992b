package dev.bulwark.ingest;

import java.util.function.Consumer;

/**
 * Stateful framing of one stream: physical lines in, complete records out.
 *
 * <p>Why: a record may span several lines, and whether the next line continues the current record is only known when
 * it arrives, so a framer may hold one pending record until the next line, {@link #idle} or {@link #finish}.
 */
public interface RecordFramer {

    /** A physical line, without its newline; {@code size > bytes.length} when the reader cut an over-long line. */
    record Line(byte[] bytes, long number, long size) {
        public boolean cut() {
            return size > bytes.length;
        }
    }

    /**
     * A framed record: its bytes (cut to the size limit when {@link #oversized()}), its full size, and the lines it
     * spans.
     */
    record Framed(byte[] bytes, long size, long firstLine, long lastLine) {
        public boolean oversized() {
            return size > bytes.length;
        }

        /** {@code name:line} or {@code name:first-last}. */
        public String origin(String name) {
            return firstLine == lastLine ? name + ":" + firstLine : name + ":" + firstLine + "-" + lastLine;
        }
    }

    /** Feeds the next line; complete records go to {@code out}, in order. */
    void accept(Line line, Consumer<Framed> out);

    /**
     * No input arrived for a while (a followed file is quiet): emit a pending record if it is most likely complete.
     * The default keeps everything pending.
     */
    default void idle(Consumer<Framed> out) {
    }

    /** End of stream: emit everything still pending, complete or not. */
    void finish(Consumer<Framed> out);
}
