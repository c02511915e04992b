package dev.bulwark.sigma;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import dev.bulwark.schemas.AvroSerde;
import dev.bulwark.schemas.Finding;

/**
 * Compact binary encoding of the Sigma detector's internal records (repartitioned hits, fold and window state).
 *
 * <p>Why: these records never leave the application (repartition topics and changelogs only), so they need no schema
 * registry entry and must not touch the shared Avro model; a versioned length-prefixed layout keeps them small and
 * lets a later release read what an earlier one wrote.
 */
final class StateCodec {

    static final AvroSerde<Finding> FINDINGS = AvroSerde.of(Finding.class);

    private StateCodec() {
    }

    /** Writes a value. */
    interface Writer<T> {
        void write(DataOutputStream out, T value) throws IOException;
    }

    /** Reads a value. */
    interface Reader<T> {
        T read(DataInputStream in) throws IOException;
    }

    static <T> Serde<T> serde(Writer<T> writer, Reader<T> reader) {
        Serializer<T> serializer = (topic, value) -> value == null ? null : encode(writer, value);
        Deserializer<T> deserializer = (topic, bytes) -> bytes == null ? null : decode(reader, bytes);
        return Serdes.serdeFrom(serializer, deserializer);
    }

    static <T> byte[] encode(Writer<T> writer, T value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            writer.write(out, value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    static <T> T decode(Reader<T> reader, byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            return reader.read(in);
        } catch (IOException e) {
            throw new UncheckedIOException("corrupt Sigma state record", e);
        }
    }

    static void writeString(DataOutputStream out, String value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
            return;
        }
        byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    static String readString(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        byte[] bytes = new byte[length];
        in.readFully(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static void writeFinding(DataOutputStream out, Finding finding) throws IOException {
        byte[] bytes = FINDINGS.encode(finding);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    static Finding readFinding(DataInputStream in) throws IOException {
        byte[] bytes = new byte[in.readInt()];
        in.readFully(bytes);
        return FINDINGS.decode(bytes);
    }

    static void expectVersion(DataInputStream in, int version, String what) throws IOException {
        int found = in.readByte();
        if (found != version) {
            throw new IOException(what + " has format version " + found + ", expected " + version);
        }
    }

}
