package dev.bulwark.ingest.k8sobjects;

import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.parser;
import static dev.bulwark.ingest.k8sobjects.K8sTestSupport.sample;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.bulwark.ingest.ContextUpdate;
import dev.bulwark.ingest.Normalized;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.RecordFramer;
import dev.bulwark.ingest.RecordReader;
import dev.bulwark.ingest.StreamIngestor;
import dev.bulwark.schemas.TenantContext;
import dev.bulwark.schemas.Topic;
import dev.bulwark.schemas.Topics;

/** The parser behind the real framing, and its output through the context topic's serde. */
class KubernetesObjectsStreamTest {

    private final KubernetesObjectsParser parser = parser();

    @Test
    void prettyPrintedSamplesInOneStreamFrameIntoOneRecordEach() throws Exception {
        ByteArrayOutputStream stream = new ByteArrayOutputStream();
        for (String file : K8sTestSupport.RBAC_SAMPLES) {
            stream.writeBytes(sample(file));
            stream.write('\n');
        }
        List<RecordFramer.Framed> records = frame(stream.toByteArray());
        assertThat(records).hasSize(K8sTestSupport.RBAC_SAMPLES.size());
        List<String> keys = new ArrayList<>();
        for (RecordFramer.Framed record : records) {
            assertThat(record.oversized()).isFalse();
            for (ContextUpdate update : parser.parse(record.bytes(), record.origin("samples"))) {
                keys.add(update.key());
            }
        }
        assertThat(keys).hasSize(11).contains("namespace/foo", "rolebinding/solar-production/capsule-solar-0-admin",
                "clusterrole/some-reader", "role/default/pod-reader");
    }

    @Test
    void watchOutputOfKubectlFramesIntoEvents() throws Exception {
        String binding = new String(sample("k8sdocs_rolebinding_read-pods.json"), UTF_8).replace("\n", "\n    ");
        String namespace = new String(sample("capsule_namespace_psa_labels.json"), UTF_8).replace("\n", "\n    ");
        // kubectl get -w -o json --output-watch-events prints each event pretty-printed, one after the other.
        String watch = "{\n    \"type\": \"ADDED\",\n    \"object\": " + namespace + "\n}\n"
                + "{\n    \"type\": \"ADDED\",\n    \"object\": " + binding + "\n}\n"
                + "{\n    \"type\": \"DELETED\",\n    \"object\": " + binding + "\n}\n"
                // and with compact output, one event per line
                + "{\"type\":\"DELETED\",\"object\":{\"kind\":\"Namespace\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"solar-production\"}}}\n";
        List<ContextUpdate> updates = new ArrayList<>();
        for (RecordFramer.Framed record : frame(watch.getBytes(UTF_8))) {
            updates.addAll(parser.parse(record.bytes(), record.origin("watch")));
        }
        assertThat(updates).extracting(ContextUpdate::key).containsExactly("namespace/solar-production",
                "rolebinding/default/read-pods", "rolebinding/default/read-pods", "namespace/solar-production");
        assertThat(updates).extracting(ContextUpdate::isDeletion).containsExactly(false, false, true, true);
        assertThat(updates.get(0).value().getTenant()).isEqualTo("solar");
    }

    @Test
    void everyRecordSurvivesTheContextTopicSerde() throws Exception {
        Topic<String, TenantContext> topic = Topics.defaults().context();
        List<TenantContext> records = new ArrayList<>();
        for (String file : K8sTestSupport.RBAC_SAMPLES) {
            Normalized normalized = parser.normalize(sample(file), file);
            normalized.contextUpdates().forEach(u -> records.add(u.value()));
        }
        records.add(K8sTestSupport.one("""
                {"kind": "Pod", "metadata": {"name": "p", "namespace": "a"},
                 "spec": {"containers": [{"name": "c", "image": "nginx"}]}, "status": {"podIP": "10.0.0.1"}}"""));
        records.add(K8sTestSupport.one("""
                {"kind": "NetworkPolicy", "metadata": {"name": "p", "namespace": "a"}, "spec": {"podSelector": {}}}"""));
        records.add(K8sTestSupport.one("""
                {"kind": "RoleBinding", "metadata": {"name": "b", "namespace": "a"},
                 "subjects": [{"kind": "ServiceAccount", "name": "default"}], "roleRef": {"kind": "Role", "name": "r"}}"""));
        for (TenantContext record : records) {
            byte[] bytes = topic.valueSerde().serializer().serialize(topic.name(), record);
            assertThat(topic.valueSerde().deserializer().deserialize(topic.name(), bytes)).isEqualTo(record);
        }
    }

    @Test
    void oversizedListIsCutByTheFramerBeforeTheParserSeesIt() throws Exception {
        StringBuilder list = new StringBuilder("{\"kind\": \"List\", \"items\": [\n");
        for (int i = 0; i < 50_000; i++) {
            list.append(i == 0 ? "" : ",\n").append("  {\"kind\": \"Namespace\", \"metadata\": {\"name\": \"ns-").append(i).append("\"}}");
        }
        list.append("\n]}\n");
        List<RecordFramer.Framed> records = frame(list.toString().getBytes(UTF_8));
        assertThat(records).hasSize(1);
        assertThat(records.get(0).oversized()).isTrue();
        // The publisher dead-letters an oversized record unparsed; given to the parser anyway, the cut bytes are rejected.
        assertThatThrownBy(() -> parser.parse(records.get(0).bytes(), "cut"))
                .isInstanceOf(ParseException.class).hasMessageContaining("invalid JSON");
    }

    private static List<RecordFramer.Framed> frame(byte[] input) throws IOException {
        RecordReader reader = new RecordReader(new ByteArrayInputStream(input), StreamIngestor.DEFAULT_MAX_RECORD_BYTES);
        RecordFramer framer = new KubernetesObjectsParser().framing().newFramer(StreamIngestor.DEFAULT_MAX_RECORD_BYTES);
        List<RecordFramer.Framed> records = new ArrayList<>();
        for (RecordReader.Record line = reader.next(); line != null; line = reader.next()) {
            framer.accept(new RecordFramer.Line(line.bytes(), line.line(), line.size()), records::add);
        }
        framer.finish(records::add);
        return records;
    }
}
