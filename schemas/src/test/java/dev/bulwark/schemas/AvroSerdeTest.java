package dev.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;

import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.Test;

class AvroSerdeTest {

    static SecurityEvent sampleEvent() {
        return SecurityEvent.newBuilder()
                .setId("e1")
                .setTimestamp(1_685_022_245_478_445_995L)
                .setSourceFormat("falco")
                .setEvent(EventInfo.newBuilder().setKind("alert").setCategory(List.of("process")).build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("default").setPod("kubecon").build())
                .setProcess(ProcessInfo.newBuilder().setName("sh").setTty(34816L).build())
                .setAttributes(Map.of("proc.pname", "runc"))
                .build();
    }

    @Test
    void roundTripsASecurityEventWithNanosecondTimestamp() {
        AvroSerde<SecurityEvent> serde = AvroSerde.of(SecurityEvent.class);
        byte[] bytes = serde.serialize("t", sampleEvent());
        assertThat(bytes[0]).isEqualTo((byte) 0xC3);
        assertThat(bytes[1]).isEqualTo((byte) 0x01);
        SecurityEvent back = serde.deserialize("t", bytes);
        assertThat(back).isEqualTo(sampleEvent());
        assertThat(back.getTimestamp()).isEqualTo(1_685_022_245_478_445_995L);
    }

    @Test
    void writesExactlyWhatAvrosOwnSingleObjectEncoderWrites() throws Exception {
        AvroSerde<SecurityEvent> serde = AvroSerde.of(SecurityEvent.class);
        var reference = new org.apache.avro.message.BinaryMessageEncoder<SecurityEvent>(
                org.apache.avro.specific.SpecificData.get(), SecurityEvent.getClassSchema());
        SecurityEvent small = sampleEvent();
        SecurityEvent large = SecurityEvent.newBuilder(sampleEvent()).setOriginal("x".repeat(300_000)).build();
        for (SecurityEvent event : java.util.List.of(small, large, small)) {
            java.nio.ByteBuffer expected = reference.encode(event);
            byte[] expectedBytes = new byte[expected.remaining()];
            expected.get(expectedBytes);
            assertThat(serde.encode(event)).isEqualTo(expectedBytes);
        }
        Finding finding = Finding.newBuilder().setId("f").setDetector("d")
                .setRule(FindingRule.newBuilder().setId("r").setName("n").setVersion("1").build())
                .setSeverity("high").setTenant("acme").setSummary("s").setFirstSeen(1).setLastSeen(2).setCount(1)
                .setEvidence(Evidence.newBuilder().setEventIds(java.util.List.of("e")).setFields(Map.of("k", "v")).build())
                .build();
        java.nio.ByteBuffer expected = new org.apache.avro.message.BinaryMessageEncoder<Finding>(
                org.apache.avro.specific.SpecificData.get(), Finding.getClassSchema()).encode(finding);
        byte[] expectedBytes = new byte[expected.remaining()];
        expected.get(expectedBytes);
        assertThat(AvroSerde.of(Finding.class).encode(finding)).isEqualTo(expectedBytes);
    }

    @Test
    void rejectsBytesThatAreNotSingleObjectEncoded() {
        AvroSerde<SecurityEvent> serde = AvroSerde.of(SecurityEvent.class);
        assertThatThrownBy(() -> serde.deserialize("t", "{\"json\":true}".getBytes()))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("not an Avro single-object encoded SecurityEvent");
    }

    @Test
    void rejectsCorruptBodyWithReadableError() {
        AvroSerde<SecurityEvent> serde = AvroSerde.of(SecurityEvent.class);
        byte[] bytes = serde.serialize("t", sampleEvent());
        byte[] cut = java.util.Arrays.copyOf(bytes, 14);
        assertThatThrownBy(() -> serde.deserialize("t", cut))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("SecurityEvent");
    }

    @Test
    void rejectsUnknownWriterSchemaWithHint() {
        Schema other = new Schema.Parser().parse(
                "{\"type\":\"record\",\"name\":\"SecurityEvent\",\"namespace\":\"dev.bulwark.schemas\",\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}");
        GenericRecord record = new GenericData.Record(other);
        record.put("x", 1);
        byte[] bytes = encodeGeneric(other, record);
        assertThatThrownBy(() -> AvroSerde.of(SecurityEvent.class).deserialize("t", bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("writer's schema is unknown");
    }

    @Test
    void readsRecordsWrittenWithAnOlderSchemaResolvedThroughASchemaStore() {
        // An older Finding schema without the optional 'image' field: readers must fill the default.
        Schema current = Finding.getClassSchema();
        List<Schema.Field> fields = current.getFields().stream()
                .filter(f -> !f.name().equals("image"))
                .map(f -> new Schema.Field(f, f.schema()))
                .toList();
        Schema older = Schema.createRecord(current.getName(), current.getDoc(), current.getNamespace(), false, fields);
        assertThat(older.getField("image")).isNull();

        GenericRecord rule = new GenericData.Record(older.getField("rule").schema());
        rule.put("id", "r1");
        rule.put("name", "Rule");
        rule.put("version", "1");
        GenericRecord evidence = new GenericData.Record(older.getField("evidence").schema());
        evidence.put("event_ids", List.of("e1"));
        evidence.put("fields", Map.of());
        evidence.put("truncated", false);
        GenericRecord mitre = new GenericData.Record(older.getField("mitre").schema());
        mitre.put("tactics", List.of());
        mitre.put("techniques", List.of());
        GenericRecord finding = new GenericData.Record(older);
        finding.put("id", "f1");
        finding.put("detector", "d");
        finding.put("rule", rule);
        finding.put("severity", "high");
        finding.put("risk_score", 73);
        finding.put("mitre", mitre);
        finding.put("tenant", "acme");
        finding.put("other_tenants", List.of());
        finding.put("summary", "s");
        finding.put("first_seen", 1L);
        finding.put("last_seen", 2L);
        finding.put("count", 1L);
        finding.put("evidence", evidence);
        finding.put("shadow", false);
        byte[] bytes = encodeGeneric(older, finding);

        SchemaStore.Cache store = new SchemaStore.Cache();
        store.addSchema(older);
        Finding decoded = AvroSerde.of(Finding.class, store).decode(bytes);
        assertThat(decoded.getId()).isEqualTo("f1");
        assertThat(decoded.getTenant()).isEqualTo("acme");
        assertThat(decoded.getImage()).isNull();
    }

    private static byte[] encodeGeneric(Schema schema, GenericRecord record) {
        try {
            ByteBuffer buffer = new BinaryMessageEncoder<GenericRecord>(GenericData.get(), schema).encode(record);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(buffer.array(), buffer.arrayOffset() + buffer.position(), buffer.remaining());
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }
}
