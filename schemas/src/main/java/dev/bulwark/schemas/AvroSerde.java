package dev.bulwark.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;

import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.MissingSchemaException;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka serde for Bulwark's Avro records in <a href="https://avro.apache.org/docs/1.12.0/specification/#single-object-encoding">
 * Avro single-object encoding</a>: two marker bytes, the 64-bit fingerprint of the writer's schema, then the Avro binary body.
 *
 * <p>Why: a reader must resolve the schema a record was <em>written</em> with, or schema evolution breaks old data. The
 * fingerprint names that schema; a {@link SchemaStore} turns it back into the schema. By default the store is
 * {@link SchemaHistory}, which knows the current schema and every released older version shipped in this jar. To use a
 * schema registry instead, pass a {@code SchemaStore} backed by it to {@link #of(Class, SchemaStore)}.
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T>, Serializer<T>, Deserializer<T> {

    private final Class<T> type;
    private final BinaryMessageDecoder<T> decoder;
    /** The single-object header (marker and schema fingerprint), the same for every record of this type. */
    private final byte[] header;
    private final org.apache.avro.io.DatumWriter<T> writer;

    /** Per-thread output buffer and buffered encoder, reused across records. */
    private static final class EncodeBuffer {
        final java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream(4096);
        org.apache.avro.io.BinaryEncoder encoder;
    }

    private static final ThreadLocal<EncodeBuffer> BUFFERS = ThreadLocal.withInitial(EncodeBuffer::new);

    /**
     * A model that uses the generated classes' own encoders and decoders (about twice as fast as reflection-driven
     * ones, and faster than Avro's "fast reader", which would otherwise take precedence when decoding); Avro resolves
     * through the generic path whenever the writer's schema differs from the reader's.
     */
    private static final java.util.Map<ClassLoader, SpecificData> MODELS = new java.util.concurrent.ConcurrentHashMap<>();

    /**
     * The model for classes of {@code loader}: a detector plugin's own record classes (its state) live in the plugin's
     * class loader, and a model of Bulwark's loader would not find them and decode generic records instead.
     */
    private static SpecificData model(ClassLoader loader) {
        return MODELS.computeIfAbsent(loader, l -> {
            SpecificData model = new SpecificData(l);
            model.setCustomCoders(true);
            model.setFastReaderEnabled(false);
            return model;
        });
    }

    private AvroSerde(Class<T> type, SchemaStore store, List<Schema> knownWriterSchemas) {
        this.type = Objects.requireNonNull(type, "type");
        Schema schema = SpecificData.get().getSchema(type);
        SpecificData model = model(type.getClassLoader() == null ? AvroSerde.class.getClassLoader() : type.getClassLoader());
        this.decoder = new BinaryMessageDecoder<>(model, schema, store);
        knownWriterSchemas.forEach(decoder::addSchema);
        this.header = singleObjectHeader(schema);
        @SuppressWarnings("unchecked")
        org.apache.avro.io.DatumWriter<T> datumWriter = (org.apache.avro.io.DatumWriter<T>) model.createDatumWriter(schema);
        this.writer = datumWriter;
    }

    private static byte[] singleObjectHeader(Schema schema) {
        // As in the specification: marker C3 01, then the schema's CRC-64-AVRO parsing fingerprint, little-endian.
        byte[] fingerprint = longLittleEndian(org.apache.avro.SchemaNormalization.parsingFingerprint64(schema));
        byte[] header = new byte[10];
        header[0] = (byte) 0xC3;
        header[1] = (byte) 0x01;
        System.arraycopy(fingerprint, 0, header, 2, 8);
        return header;
    }

    private static byte[] longLittleEndian(long value) {
        byte[] bytes = new byte[8];
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (value >>> (8 * i));
        }
        return bytes;
    }

    /** A serde that reads the current schema and every older version recorded in {@link SchemaHistory}. */
    public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
        Schema current = SpecificData.get().getSchema(type);
        return new AvroSerde<>(type, null, SchemaHistory.olderVersionsOf(current.getFullName()));
    }

    /** A serde that resolves unknown writer fingerprints through {@code store} (for example a schema registry). */
    public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type, SchemaStore store) {
        Schema current = SpecificData.get().getSchema(type);
        return new AvroSerde<>(type, store, SchemaHistory.olderVersionsOf(current.getFullName()));
    }

    /** Encodes one record; never returns null for a non-null record. */
    public byte[] encode(T value) {
        try {
            // The same bytes as Avro's BinaryMessageEncoder, written through a buffered encoder into a reused buffer
            // (Avro's message encoder writes every varint byte through a synchronized stream call).
            EncodeBuffer buffer = BUFFERS.get();
            buffer.out.reset();
            buffer.out.write(header);
            buffer.encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(buffer.out, buffer.encoder);
            writer.write(value, buffer.encoder);
            buffer.encoder.flush();
            byte[] bytes = buffer.out.toByteArray();
            if (buffer.out.size() > 1 << 20) {
                BUFFERS.remove(); // do not keep a huge buffer per thread
            }
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            throw new SerializationException("cannot encode " + type.getSimpleName() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes one record written by any known version of the schema.
     *
     * @throws SerializationException with a readable reason when the bytes are not single-object encoded, name an
     *     unknown schema, or are corrupt
     */
    public T decode(byte[] bytes) {
        if (bytes == null) {
            return null;
        }
        if (bytes.length < 10 || bytes[0] != (byte) 0xC3 || bytes[1] != (byte) 0x01) {
            throw new SerializationException("not an Avro single-object encoded " + type.getSimpleName()
                    + " (expected marker C3 01 and a schema fingerprint, got " + bytes.length + " bytes)");
        }
        try {
            return decoder.decode(bytes);
        } catch (MissingSchemaException e) {
            throw new SerializationException("cannot decode " + type.getSimpleName() + ": the writer's schema is unknown ("
                    + e.getMessage() + "); add that schema version to the schema history or plug in a schema store", e);
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("corrupt " + type.getSimpleName() + " record: " + e.getMessage(), e);
        }
    }

    /** Decodes from a stream holding exactly one record. */
    public T decode(InputStream in) throws IOException {
        return decode(in.readAllBytes());
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
    public void configure(java.util.Map<String, ?> configs, boolean isKey) {
        // configured at construction
    }

    @Override
    public void close() {
        // stateless
    }
}
