package dev.bulwark.ingest.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.bulwark.http.TestCertificates;
import dev.bulwark.http.oidc.OidcProvider;
import dev.bulwark.http.oidc.OidcVerifier;
import dev.bulwark.http.oidc.TestTokens;
import dev.bulwark.samples.Samples;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * The receiver over HTTPS with OIDC tokens from a real provider (a separate process) beside a static token: a token
 * for the receiver's audience with the sender role is accepted, anything else gets one and the same 401 and publishes
 * nothing.
 */
@Timeout(180)
class IngestReceiverOidcTest {

    private static final String STATIC_TOKEN = "static-ingest-token-0123456789";

    @TempDir
    static Path dir;
    private static OidcProvider provider;
    private static MockProducer<String, byte[]> producer;
    private static IngestReceiver receiver;
    private static HttpClient http;
    private static String alert;

    @BeforeAll
    static void start() throws Exception {
        provider = OidcProvider.start(TestTokens.scenarios(), dir.resolve("provider"));
        TestCertificates certificates = TestCertificates.create(dir.resolve("tls"), "RSA");
        OidcSenders senders = new OidcSenders(new OidcVerifier(new OidcVerifier.Settings(provider.issuer(),
                Set.of(TestTokens.INGEST_AUDIENCE), Duration.ofSeconds(60))), "groups", Set.of("bulwark-ingest"));
        producer = new MockProducer<>(true, null, new StringSerializer(), new ByteArraySerializer());
        receiver = new IngestReceiver(new IngestReceiver.Settings("127.0.0.1", 0, 1 << 20, 1 << 20,
                List.of(STATIC_TOKEN), 4, Duration.ofSeconds(5)).withTls(certificates.pemTls()).withOidc(senders),
                producer, Topics.withPrefix("bulwark."), new SimpleMeterRegistry());
        http = HttpClient.newBuilder().sslContext(certificates.clientContext()).build();
        alert = Samples.lines("falco/falco_alerts_real.ndjson").get(0);
    }

    @AfterAll
    static void stop() {
        if (receiver != null) {
            receiver.close();
        }
        if (provider != null) {
            provider.close();
        }
    }

    private static HttpResponse<String> post(String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(receiver.url() + "/v1/falco"))
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(alert));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void aTokenForTheReceiverWithTheSenderRoleIsAcceptedOverHttps() throws Exception {
        assertThat(receiver.url()).startsWith("https://");
        int before = producer.history().size();
        HttpResponse<String> response = post(provider.token("ingest"));
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(producer.history().size()).isEqualTo(before + 1);
        assertThat(post(STATIC_TOKEN).statusCode()).as("static tokens still work").isEqualTo(200);
    }

    @Test
    void everyOtherTokenGetsTheSame401AndPublishesNothing() throws Exception {
        Map<String, String> bad = new LinkedHashMap<>();
        bad.put("no-sender-role", provider.token("ingest-without-role"));
        bad.put("api-token-replayed", provider.token("soc"));
        bad.put("expired", provider.token("expired"));
        bad.put("not-yet-valid", provider.token("not-yet-valid"));
        bad.put("static-token-with-a-typo", STATIC_TOKEN + "x");
        bad.putAll(TestTokens.forged(provider, provider.token("ingest")));
        String reference = post(null).body();
        int before = producer.history().size();
        for (Map.Entry<String, String> token : bad.entrySet()) {
            HttpResponse<String> response = post(token.getValue());
            assertThat(response.statusCode()).as(token.getKey()).isEqualTo(401);
            assertThat(response.body()).as(token.getKey()).isEqualTo(reference).doesNotContain(token.getValue());
        }
        assertThat(producer.history()).hasSize(before);
    }
}
