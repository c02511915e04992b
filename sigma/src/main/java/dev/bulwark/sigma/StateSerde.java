package dev.bulwark.sigma;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Finding;

/**
 * Serde of one of the Sigma detector's internal records (fold and window state, repartitioned hits): the detector's
 * own type mapped to and from an Avro record of {@code src/main/avro}, written with {@link AvroSerde}.
 *
 * <p>Why: changelog and repartition topics outlive a release, so their records need what the wire schemas have: a
 * writer-schema fingerprint in every record, released versions in {@code schema-history/<Record>/} that the decoder
 * resolves, and a compatibility test that keeps both directions readable. The detector keeps its own immutable types
 * (the Avro records hold a {@link Finding} as bytes, see {@link #finding(ByteBuffer)}), so the mapping lives here.
 *
 * <p>Records of the format before Avro (a version byte {@value #LEGACY_VERSION}, where single-object encoding starts
 * with {@code C3 01}) are refused, not read: they deserialize to null, which every reader of these stores treats as
 * absent (and deletes), and the first one is logged per record type. Their state is short-lived (an open fold episode,
 * a correlation window of minutes), so after the upgrade it starts empty instead of carrying a second decoder for ever.
 * Anything else that is not single-object encoded still fails as corrupt.
 *
 * @param <T> the detector's type
 * @param <R> the Avro record it is stored as
 */
final class StateSerde<T, R extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {

    /** The first byte of every record in the format before Avro (its format version). */
    static final byte LEGACY_VERSION = 1;

    /** The serde of findings inside state and on the fold repartition topic. */
    static final AvroSerde<Finding> FINDINGS = AvroSerde.of(Finding.class);

    private static final Logger LOG = LoggerFactory.getLogger(StateSerde.class);

    private final String what;
    private final AvroSerde<R> avro;
    private final Function<T, R> toRecord;
    private final Function<R, T> fromRecord;
    private final AtomicBoolean legacyLogged = new AtomicBoolean();

    StateSerde(String what, Class<R> type, Function<T, R> toRecord, Function<R, T> fromRecord) {
        this.what = what;
        this.avro = AvroSerde.of(type);
        this.toRecord = toRecord;
        this.fromRecord = fromRecord;
    }

    /** Encodes a value; never null for a non-null value. */
    byte[] encode(T value) {
        // Mapped first: the mapping encodes the nested finding, and AvroSerde reuses one buffer per thread.
        R record = toRecord.apply(value);
        return avro.encode(record);
    }

    /** Decodes a value, or null for null and for a record of the format before Avro. */
    T decode(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (isLegacy(bytes)) {
            if (legacyLogged.compareAndSet(false, true)) {
                LOG.warn("Sigma {} state in the format before Avro found and dropped: such state of this release "
                        + "starts empty (open fold episodes start again, correlation windows refill); "
                        + "further records of it are dropped without a log line", what);
            }
            return null;
        }
        return fromRecord.apply(avro.decode(bytes));
    }

    /** True for a record of the hand-written format of earlier releases. */
    static boolean isLegacy(byte[] bytes) {
        return bytes.length > 0 && bytes[0] == LEGACY_VERSION;
    }

    /** A finding as the bytes field of a state record. */
    static ByteBuffer bytes(Finding finding) {
        return ByteBuffer.wrap(FINDINGS.encode(finding));
    }

    /** The finding of a state record's bytes field. */
    static Finding finding(ByteBuffer bytes) {
        byte[] copy = new byte[bytes.remaining()];
        bytes.duplicate().get(copy);
        return FINDINGS.decode(copy);
    }

    @Override
    public byte[] serialize(String topic, T data) {
        return data == null ? null : encode(data);
    }

    @Override
    public T deserialize(String topic, byte[] data) {
        return decode(data);
    }

    @Override
    public Serializer<T> serializer() {
        return this;
    }

    @Override
    public Deserializer<T> deserializer() {
        return this;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        // configured at construction
    }

    @Override
    public void close() {
        // stateless
    }
}
