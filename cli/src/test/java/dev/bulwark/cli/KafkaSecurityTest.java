package dev.bulwark.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaSecurityTest {

    @TempDir
    Path dir;

    private BulwarkConfig config(String yaml, Map<String, String> env) throws Exception {
        Path file = dir.resolve("bulwark.yaml");
        Files.writeString(file, yaml);
        return BulwarkConfig.load(file, env);
    }

    private Path credentials() throws Exception {
        Path file = dir.resolve("credentials.properties");
        Files.writeString(file, "ingest.username=bulwark-ingest\ningest.password=in\"gest\\\\pw\n"
                + "detectors.username=bulwark-detectors\ndetectors.password=det-pw\n");
        return file;
    }

    @Test
    void eachComponentConnectsAsItsOwnUserOverTls() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        BulwarkConfig config = config("{}\n", Map.of("BULWARK_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "BULWARK_KAFKA_CA_FILE", ca.toString(), "BULWARK_KAFKA_CREDENTIALS_FILE", credentials().toString()));
        KafkaClients kafka = new KafkaClients(config);
        Map<String, Object> ingest = kafka.as(KafkaSecurity.Component.INGEST).producer("p");
        assertThat(ingest).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.type", "PEM").containsEntry("ssl.truststore.location", ca.toString());
        assertThat((String) ingest.get("sasl.jaas.config")).as("quotes and backslashes escaped")
                .contains("username=\"bulwark-ingest\"").contains("password=\"in\\\"gest\\\\pw\"");
        Map<String, Object> detectors = kafka.as(KafkaSecurity.Component.DETECTORS).groupConsumer("g", null);
        assertThat((String) detectors.get("sasl.jaas.config")).contains("username=\"bulwark-detectors\"");
        assertThat(kafka.as(KafkaSecurity.Component.DETECTORS).principal()).isEqualTo("bulwark-detectors");
        assertThat(kafka.as(KafkaSecurity.Component.SINK).hasUser()).as("no sink entry and no default user").isFalse();
        assertThatThrownBy(() -> kafka.as(KafkaSecurity.Component.SINK).producer("p"))
                .hasMessageContaining("has no sink.username and sink.password").hasMessageNotContaining("det-pw");
    }

    /**
     * A credentials file written before the query API had a Kafka user: the rule-override store refuses at once, with
     * the missing entry named and no secret shown, which is what lets the API start without overrides (BulwarkRuntime).
     */
    @Test
    void theApisOverrideStoreRefusesACredentialsFileWithoutAnApiUserBeforeConnecting() throws Exception {
        Path ca = Files.writeString(dir.resolve("ca.pem"), "-----BEGIN CERTIFICATE-----\n");
        BulwarkConfig config = config("{}\n", Map.of("BULWARK_KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "BULWARK_KAFKA_CA_FILE", ca.toString(), "BULWARK_KAFKA_CREDENTIALS_FILE", credentials().toString()));
        assertThatThrownBy(() -> new KafkaRuleOverrideStore(config)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no api.username and api.password").hasMessageNotContaining("det-pw");
    }

    @Test
    void aSingleUserTakesItsPasswordFromTheEnvironmentOrAFileAndPlaintextAddsNothing() throws Exception {
        BulwarkConfig env = config("kafka:\n  security:\n    protocol: SASL_SSL\n    username: bulwark\n",
                Map.of("BULWARK_KAFKA_PASSWORD", "from-env"));
        assertThat((String) new KafkaClients(env).common().get("sasl.jaas.config")).contains("password=\"from-env\"");
        Path secret = Files.writeString(dir.resolve("password"), "from-file\nignored\n");
        BulwarkConfig file = config("kafka:\n  security:\n    protocol: SASL_SSL\n    username: bulwark\n    passwordFile: "
                + secret + "\n", Map.of());
        assertThat((String) new KafkaClients(file).common().get("sasl.jaas.config")).contains("password=\"from-file\"");
        assertThat(new KafkaClients(config("{}\n", Map.of())).common()).doesNotContainKeys("security.protocol",
                "sasl.jaas.config");
    }

    @Test
    void incompleteSettingsAreRefusedAtLoadWithoutShowingASecret() {
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SASL_SSL\n", Map.of()))
                .hasMessageContaining("needs a user");
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SASL_SSL\n    username: u\n", Map.of()))
                .hasMessageContaining("needs a password");
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SSL\n    certFile: /etc/hosts\n", Map.of()))
                .hasMessageContaining("go together");
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SSL\n    caFile: /no/such/ca.pem\n", Map.of()))
                .hasMessageContaining("cannot read /no/such/ca.pem");
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SASL_SSL\n    username: u\n    password: s3cret-value\n"
                + "    mechanism: KERBEROS\n", Map.of())).hasMessageNotContaining("s3cret-value");
    }

    @Test
    void aCredentialsFileWithAnUnknownKeyIsRefused() throws Exception {
        Path file = Files.writeString(dir.resolve("c.properties"), "ingest.user=x\n");
        assertThatThrownBy(() -> config("kafka:\n  security:\n    protocol: SASL_SSL\n    credentialsFile: " + file + "\n",
                Map.of())).hasMessageContaining("unknown key 'ingest.user'");
    }

    @Test
    void withMutualTlsEachComponentPresentsItsOwnCertificateAndIsNamedByItsCommonName() throws Exception {
        Path store = dir.resolve("ingest.p12");
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process gen = new ProcessBuilder(keytool, "-genkeypair", "-alias", "c", "-dname", "CN=bulwark-ingest, O=Bulwark",
                "-keyalg", "EC", "-keystore", store.toString(), "-storetype", "PKCS12", "-storepass", "changeit")
                .redirectErrorStream(true).start();
        gen.getInputStream().readAllBytes();
        assertThat(gen.waitFor()).isZero();
        Process export = new ProcessBuilder(keytool, "-exportcert", "-rfc", "-alias", "c", "-keystore", store.toString(),
                "-storepass", "changeit").start();
        String pem = new String(export.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(export.waitFor()).isZero();
        Files.writeString(dir.resolve("ingest.crt"), pem);
        Files.writeString(dir.resolve("ingest.key"), "-----BEGIN PRIVATE KEY-----\nnot-read-here\n-----END PRIVATE KEY-----\n");
        Path file = Files.writeString(dir.resolve("mtls.properties"), "ingest.certFile=ingest.crt\ningest.keyFile=ingest.key\n");
        BulwarkConfig config = config("{}\n", Map.of("BULWARK_KAFKA_SECURITY_PROTOCOL", "SSL",
                "BULWARK_KAFKA_CREDENTIALS_FILE", file.toString()));
        KafkaClients kafka = new KafkaClients(config);
        Map<String, Object> ingest = kafka.as(KafkaSecurity.Component.INGEST).producer("p");
        assertThat(ingest).containsEntry("security.protocol", "SSL").containsEntry("ssl.keystore.type", "PEM")
                .doesNotContainKey("sasl.jaas.config");
        assertThat(String.valueOf(ingest.get("ssl.keystore.certificate.chain"))).as("relative to the credentials file")
                .isEqualTo(pem);
        assertThat(kafka.as(KafkaSecurity.Component.INGEST).principal()).isEqualTo("bulwark-ingest");
        assertThat(kafka.as(KafkaSecurity.Component.SINK).producer("p")).as("no sink certificate, no default")
                .doesNotContainKey("ssl.keystore.type");
        assertThat(kafka.as(KafkaSecurity.Component.SINK).principal()).isNull();

        Files.writeString(file, "ingest.certFile=ingest.crt\n");
        assertThatThrownBy(() -> config("{}\n", Map.of("BULWARK_KAFKA_SECURITY_PROTOCOL", "SSL",
                "BULWARK_KAFKA_CREDENTIALS_FILE", file.toString()))).hasMessageContaining("ingest.certFile and ingest.keyFile go together");
        Files.writeString(file, "ingest.certFile=missing.crt\ningest.keyFile=ingest.key\n");
        assertThatThrownBy(() -> config("{}\n", Map.of("BULWARK_KAFKA_SECURITY_PROTOCOL", "SSL",
                "BULWARK_KAFKA_CREDENTIALS_FILE", file.toString()))).hasMessageContaining("cannot read the ingest certificate");
    }
}
