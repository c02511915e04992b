package dev.bulwark.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class SchemaCompatibilityTest {

    @ParameterizedTest
    @ValueSource(classes = {SecurityEvent.class, Finding.class, DeadLetter.class, TenantContext.class,
            ComplianceResult.class, RuleOverride.class, RuleStats.class, ContextChange.class,
            EntityRisk.class, Incident.class, IncidentEntity.class,
            IncidentFinding.class})
    void theCurrentSchemaReadsEveryReleasedVersionAndEveryReleasedVersionReadsIt(Class<?> type) {
        assertThat(SchemaHistory.compatibilityProblems(type)).as(type.getSimpleName()).isEmpty();
    }

    @Test
    void typedKubernetesFactsSurviveARoundTripThroughTheReleasedTenantContext() throws IOException {
        List<Schema> released = SchemaHistory.olderVersionsOf(TenantContext.getClassSchema().getFullName());
        Schema previous = released.get(released.size() - 1);
        assertThat(previous.getField("network_policy")).as("the released version predates the typed facts").isNull();
        TenantContext policy = TenantContext.newBuilder().setKind("networkpolicy").setKey("a/p").setObservedAt(7L)
                .setAttributes(java.util.Map.of("k8s.netpol.ingress_rules", "1"))
                .setOwner(OwnerReference.newBuilder().setKind("Tenant").setName("solar").build())
                .setNetworkPolicy(NetworkPolicySpec.newBuilder()
                        .setPodSelector(LabelSelector.matchLabels(java.util.Map.of("app", "db")))
                        .setPolicyTypes(List.of("Ingress"))
                        .setIngress(List.of(NetworkPolicyRule.newBuilder()
                                .setPorts(List.of(NetworkPolicyPort.newBuilder().setPort(5432).build())).build()))
                        .build())
                .build();

        // An older reader skips the fields it does not know and keeps the rest.
        GenericRecord old = read(write(TenantContext.getClassSchema(), policy), TenantContext.getClassSchema(), previous);
        assertThat(old.get("key").toString()).isEqualTo("a/p");
        assertThat(old.get("observed_at")).isEqualTo(7L);
        assertThat(old.getSchema().getField("network_policy")).isNull();

        // A current reader fills the fields an older writer did not know with their defaults.
        GenericRecord current = read(write(previous, old), previous, TenantContext.getClassSchema());
        assertThat(current.get("network_policy")).isNull();
        assertThat(current.get("owner")).isNull();
        assertThat(current.get("pod_spec")).isNull();
        assertThat((List<?>) current.get("aggregation_selectors")).isEmpty();
        assertThat(current.get("key").toString()).isEqualTo("a/p");
    }

    @Test
    void anEventWithAPodSpecIsReadableByTheReleasedSecurityEvent() throws IOException {
        Schema previous = newestReleasedEventWithout(schema -> schema.getField("kubernetes").schema().getTypes().get(1)
                .getField("pod_spec") != null);
        SecurityEvent event = SecurityEvent.newBuilder().setId("e1").setTimestamp(1L).setSourceFormat("k8s-audit")
                .setEvent(EventInfo.newBuilder().build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("shop")
                        .setPodSpec(PodSpecFacts.newBuilder().setPrivileged(true)
                                .setHostPathMounts(List.of("/var/run/docker.sock")).build())
                        .build())
                .build();
        GenericRecord old = read(write(SecurityEvent.getClassSchema(), event), SecurityEvent.getClassSchema(), previous);
        GenericRecord kubernetes = (GenericRecord) old.get("kubernetes");
        assertThat(kubernetes.get("namespace").toString()).isEqualTo("shop");
        assertThat(kubernetes.getSchema().getField("pod_spec")).isNull();
    }

    @Test
    void policyResultsAndImageVerdictsAreSkippedByTheReleasedSecurityEventAndDefaultedForOldRecords() throws IOException {
        Schema previous = newestReleasedEventWithout(schema -> schema.getField("policy") != null);
        SecurityEvent event = SecurityEvent.newBuilder().setId("e2").setTimestamp(2L).setSourceFormat("policy-report")
                .setEvent(EventInfo.newBuilder().setKind("state").build())
                .setKubernetes(KubernetesInfo.newBuilder().setNamespace("shop").build())
                .setPolicy(PolicyResult.newBuilder().setPolicy("disallow-privileged").setVerdict("fail")
                        .setResource(ResourceRef.newBuilder().setKind("Pod").setNamespace("shop").setName("web").build())
                        .build())
                .setImageVerifications(List.of(ImageVerification.newBuilder().setVerifier("kyverno")
                        .setImage("ghcr.io/a/b@sha256:00").setVerdict("pass").setEvidence("annotation").build()))
                .build();

        GenericRecord old = read(write(SecurityEvent.getClassSchema(), event), SecurityEvent.getClassSchema(), previous);
        assertThat(old.get("source_format").toString()).isEqualTo("policy-report");
        assertThat(((GenericRecord) old.get("kubernetes")).get("namespace").toString()).isEqualTo("shop");
        assertThat(old.getSchema().getField("policy")).isNull();

        GenericRecord current = read(write(previous, old), previous, SecurityEvent.getClassSchema());
        assertThat(current.get("policy")).isNull();
        assertThat((List<?>) current.get("image_verifications")).isEmpty();
    }

    @Test
    void anExecSessionIsSkippedByTheReleasedSecurityEventAndNullForOldRecords() throws IOException {
        Schema previous = newestReleasedEventWithout(schema -> schema.getField("session") != null);
        SecurityEvent event = SecurityEvent.newBuilder().setId("e3").setTimestamp(3L).setSourceFormat("falco")
                .setEvent(EventInfo.newBuilder().build())
                .setSession(ExecSession.newBuilder().setId("s").setAuditId("a").setUser("alice").setVia("exec")
                        .setNamespace("shop").setPod("web").setStarted(3L).build())
                .build();
        GenericRecord old = read(write(SecurityEvent.getClassSchema(), event), SecurityEvent.getClassSchema(), previous);
        assertThat(old.get("source_format").toString()).isEqualTo("falco");
        assertThat(old.getSchema().getField("session")).isNull();
        GenericRecord current = read(write(previous, old), previous, SecurityEvent.getClassSchema());
        assertThat(current.get("session")).isNull();
    }

    /** The newest released SecurityEvent schema that does not yet have what {@code has} looks for. */
    private static Schema newestReleasedEventWithout(java.util.function.Predicate<Schema> has) {
        List<Schema> released = SchemaHistory.olderVersionsOf(SecurityEvent.getClassSchema().getFullName());
        for (int i = released.size() - 1; i >= 0; i--) {
            if (!has.test(released.get(i))) {
                return released.get(i);
            }
        }
        throw new AssertionError("every released SecurityEvent has it");
    }

    private static byte[] write(Schema schema, Object record) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<Object>(schema, SpecificData.get()).write(record, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private static GenericRecord read(byte[] bytes, Schema writer, Schema reader) throws IOException {
        return new GenericDatumReader<GenericRecord>(writer, reader)
                .read(null, DecoderFactory.get().binaryDecoder(bytes, null));
    }

    @Test
    void addingAnOptionalFieldIsBackwardCompatible() {
        Schema current = SecurityEvent.getClassSchema();
        Schema evolved = withExtraField(current, "{\"name\":\"new_optional\",\"type\":[\"null\",\"string\"],\"default\":null}");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(evolved, current).getType())
                .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
    }

    @Test
    void addingARequiredFieldWithoutDefaultIsDetectedAsIncompatible() {
        Schema current = SecurityEvent.getClassSchema();
        Schema evolved = withExtraField(current, "{\"name\":\"new_required\",\"type\":\"string\"}");
        assertThat(SchemaCompatibility.checkReaderWriterCompatibility(evolved, current).getType())
                .isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
    }

    private static Schema withExtraField(Schema schema, String fieldJson) {
        String json = schema.toString();
        int lastBracket = json.lastIndexOf(']');
        String evolved = json.substring(0, lastBracket) + "," + fieldJson + json.substring(lastBracket);
        return new Schema.Parser().parse(evolved);
    }
}
