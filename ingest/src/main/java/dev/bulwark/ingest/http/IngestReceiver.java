package dev.bulwark.ingest.http;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import com.fasterxml.jackson.core.JsonProcessingException;

import dev.bulwark.http.BulwarkHttpServer;
import dev.bulwark.http.Exchange;
import dev.bulwark.http.HttpLimits;
import dev.bulwark.http.Tls;
import dev.bulwark.ingest.EventPublisher;
import dev.bulwark.ingest.EventTimePolicy;
import dev.bulwark.ingest.IngestStats;
import dev.bulwark.ingest.Parsers;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.ingest.SourceParser;
import dev.bulwark.ingest.StreamIngestor;
import dev.bulwark.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * The HTTP ingest endpoint: what Falco, Falcosidekick, the Kubernetes API server and any log shipper can post to.
 *
 * <ul>
 *   <li>{@code POST /} and {@code POST /v1/falco}: Falco's {@code http_output} and Falcosidekick's webhook output
 *       (one alert per request, or NDJSON);</li>
 *   <li>{@code POST /v1/k8s-audit}: a Kubernetes audit webhook backend ({@code --audit-webhook-config-file}), which
 *       posts {@code audit.k8s.io/v1 EventList} batches;</li>
 *   <li>{@code POST /v1/ingest/{format}}: NDJSON (or concatenated JSON documents) in any supported format;</li>
 *   <li>{@code GET /healthz}.</li>
 * </ul>
 *
 * <p>Why: push sources must get the same guarantees as files. A request is answered 200 only after Kafka acknowledged
 * every record it produced, so a sender that retries on errors never loses an event; a request with records that
 * cannot be normalized gets 400 naming them (they are dead-lettered, the good ones published, so a resend is not
 * needed); a body over the size limit gets 413 and its start is dead-lettered; Kafka trouble gets 503 so the sender
 * retries. With tokens configured, requests need {@code Authorization: Bearer <token>}: a static token (compared in
 * constant time) or an OIDC token holding a sender role ({@link OidcSenders}); every refusal is the same 401. With
 * {@link Settings#tls()} the receiver speaks HTTPS only.
 *
 * <p>The server is {@link BulwarkHttpServer}: headers and bodies must arrive within its timeouts, a declared body over
 * the limit is refused at once (413, recorded in the dead-letter topic with its declared size), and {@code /healthz}
 * answers while every worker waits for Kafka.
 */
public final class IngestReceiver implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(IngestReceiver.class);

    /**
     * Settings; {@code tokens} empty and {@code oidc} null means no authentication (loopback quick starts);
     * {@code http} holds the connection timeouts and limits; {@code tls} the certificate to serve HTTPS with (null:
     * plain HTTP); {@code oidc} the OIDC tokens accepted beside the static {@code tokens} (null: none).
     */
    public record Settings(String host, int port, int maxBodyBytes, int maxRecordBytes, List<String> tokens,
            int threads, Duration ackTimeout, HttpLimits http, Tls tls, OidcSenders oidc) {
        public Settings(String host, int port, int maxBodyBytes, int maxRecordBytes, List<String> tokens, int threads,
                Duration ackTimeout, HttpLimits http) {
            this(host, port, maxBodyBytes, maxRecordBytes, tokens, threads, ackTimeout, http, null, null);
        }

        public Settings(String host, int port, int maxBodyBytes, int maxRecordBytes, List<String> tokens, int threads,
                Duration ackTimeout) {
            this(host, port, maxBodyBytes, maxRecordBytes, tokens, threads, ackTimeout, HttpLimits.defaults());
        }

        public static Settings defaults() {
            return new Settings("127.0.0.1", 8088, 16 << 20, StreamIngestor.DEFAULT_MAX_RECORD_BYTES, List.of(), 8,
                    Duration.ofSeconds(60));
        }

        /** The same settings with other HTTP limits. */
        public Settings withHttp(HttpLimits limits) {
            return new Settings(host, port, maxBodyBytes, maxRecordBytes, tokens, threads, ackTimeout, limits, tls, oidc);
        }

        /** The same settings serving HTTPS (or plain HTTP with null). */
        public Settings withTls(Tls certificate) {
            return new Settings(host, port, maxBodyBytes, maxRecordBytes, tokens, threads, ackTimeout, http, certificate,
                    oidc);
        }

        /** The same settings accepting OIDC tokens too (or not, with null). */
        public Settings withOidc(OidcSenders senders) {
            return new Settings(host, port, maxBodyBytes, maxRecordBytes, tokens, threads, ackTimeout, http, tls, senders);
        }

        /** Whether requests need a bearer token. */
        public boolean authenticates() {
            return !tokens.isEmpty() || oidc != null;
        }
    }

    private final Settings settings;
    private final EventTimePolicy eventTime;
    private final Parsers.Settings parserSettings;
    private final Map<String, SourceParser> parsers = new ConcurrentHashMap<>();
    private final Producer<String, byte[]> producer;
    private final Topics topics;
    private final MeterRegistry registry;
    private final Map<String, EventPublisher> publishers = new ConcurrentHashMap<>();
    private final List<byte[]> tokenDigests;
    private final BulwarkHttpServer server;

    /**
     * Starts serving.
     *
     * @param producer a producer configured by {@link EventPublisher#producerConfig}; closed by the caller
     */
    public IngestReceiver(Settings settings, Producer<String, byte[]> producer, Topics topics, MeterRegistry registry)
            throws IOException {
        this(settings, producer, topics, registry, Parsers.Settings.DEFAULTS.tenantKeys());
    }

    /** Like the other constructor, with the namespace label keys that name tenants in Kubernetes objects. */
    public IngestReceiver(Settings settings, Producer<String, byte[]> producer, Topics topics, MeterRegistry registry,
            List<String> tenantKeys) throws IOException {
        this(settings, producer, topics, registry, tenantKeys, EventTimePolicy.ANY);
    }

    /** Like the other constructors, with the bounds of event time ({@link EventTimePolicy}). */
    public IngestReceiver(Settings settings, Producer<String, byte[]> producer, Topics topics, MeterRegistry registry,
            List<String> tenantKeys, EventTimePolicy eventTime) throws IOException {
        this.eventTime = eventTime;
        this.parserSettings = new Parsers.Settings(tenantKeys);
        this.settings = settings;
        this.producer = producer;
        this.topics = topics;
        this.registry = registry;
        this.tokenDigests = settings.tokens().stream().map(IngestReceiver::digest).toList();
        // Bounded: when Kafka is slow, requests wait in a short queue and then are refused, instead of piling up.
        try {
            server = BulwarkHttpServer.start(new BulwarkHttpServer.Spec("ingest", settings.host(), settings.port(),
                    settings.http(), settings.threads(), 256, settings.maxBodyBytes(), Set.of("/healthz"),
                    new BulwarkHttpServer.Routes() {
                        @Override
                        public void handle(Exchange exchange) throws IOException {
                            IngestReceiver.this.handle(exchange);
                        }

                        @Override
                        public boolean handlesOversizedBodies() {
                            return true; // receive() dead-letters the start and answers 413
                        }

                        @Override
                        public void refuse(Exchange exchange, int status, String message) {
                            respond(exchange, status, message(message));
                        }
                    }, settings.tls()));
        } catch (java.net.BindException e) {
            throw new IOException("ingest receiver port " + settings.host() + ":" + settings.port()
                    + " is in use; choose another with --port, ingest.port or BULWARK_INGEST_PORT", e);
        }
    }

    /** The base URL, e.g. {@code http://127.0.0.1:8088} or {@code https://127.0.0.1:8088}. */
    public String url() {
        return server.scheme() + "://" + settings.host() + ":" + server.port();
    }

    /** Ledger of one format's records received over HTTP. */
    public IngestStats stats(String format) {
        return publisher(parser(format)).stats();
    }

    private void handle(Exchange exchange) throws IOException {
        try {
            String path = exchange.path();
            if ("/healthz".equals(path)) {
                respond(exchange, 200, SafeJson.mapper().createObjectNode().put("status", "ok"));
                return;
            }
            if (!authorized(exchange)) {
                exchange.setHeader("WWW-Authenticate", "Bearer realm=\"bulwark-ingest\"");
                respond(exchange, 401, message("missing or invalid bearer token"));
                return;
            }
            String format = formatOf(path);
            if (format == null) {
                respond(exchange, 404, message("no such endpoint " + clip(path)
                        + "; use POST /v1/falco, /v1/k8s-audit or /v1/ingest/{format}"));
                return;
            }
            SourceParser parser;
            try {
                parser = parser(format);
            } catch (IllegalArgumentException e) {
                respond(exchange, 404, message(e.getMessage()));
                return;
            }
            if (!"POST".equals(exchange.method())) {
                exchange.setHeader("Allow", "POST");
                respond(exchange, 405, message("use POST"));
                return;
            }
            receive(exchange, parser);
        } catch (RuntimeException e) {
            LOG.error("ingest request failed", e);
        }
    }

    private void receive(Exchange exchange, SourceParser parser) throws IOException {
        EventPublisher publisher = publisher(parser);
        String origin = "http:" + exchange.path() + " from " + exchange.remoteAddress();
        byte[] body = exchange.body();
        if (exchange.bodyTooLarge()) {
            // The rest is not read: a hostile sender could stream forever. The declared length, if any, is recorded;
            // a declared length over the limit is refused before any of the body is read (the start is then empty).
            long size = Math.max(body.length + 1L, exchange.declaredLength());
            byte[] start = body;
            await(List.of(publisher.deadLetter(start, size, parser.format(), origin,
                    "request body of " + size + " bytes exceeds the limit of " + settings.maxBodyBytes() + " bytes")));
            respond(exchange, 413, message("request body exceeds " + settings.maxBodyBytes()
                    + " bytes; send smaller batches"));
            return;
        }
        List<CompletableFuture<EventPublisher.Outcome>> outcomes = new ArrayList<>();
        new StreamIngestor(publisher, settings.maxRecordBytes())
                .ingest(new ByteArrayInputStream(body), origin, parser, n -> { }, outcomes::add);
        List<EventPublisher.Outcome> results;
        try {
            results = await(outcomes);
        } catch (IOException e) {
            respond(exchange, 503, message("Kafka did not acknowledge the records (" + e.getMessage()
                    + "); retry later"));
            return;
        }
        ObjectNode reply = SafeJson.mapper().createObjectNode();
        int events = 0;
        int context = 0;
        ArrayNode rejected = reply.putArray("rejected");
        for (int i = 0; i < results.size(); i++) {
            EventPublisher.Outcome outcome = results.get(i);
            events += outcome.events();
            context += outcome.contextUpdates();
            if (outcome.deadLettered() && rejected.size() < 20) {
                rejected.addObject().put("record", i + 1).put("reason", outcome.deadLetterReason());
            }
        }
        long deadLettered = results.stream().filter(EventPublisher.Outcome::deadLettered).count();
        reply.put("records", results.size());
        reply.put("events", events);
        reply.put("context_updates", context);
        reply.put("dead_lettered", deadLettered);
        if (results.isEmpty()) {
            respond(exchange, 400, message("empty request body: nothing to ingest"));
        } else if (deadLettered > 0) {
            reply.put("error", deadLettered + " of " + results.size() + " records could not be normalized; they were "
                    + "kept in the dead-letter topic and the others were published, so do not resend them");
            respond(exchange, 400, reply);
        } else {
            respond(exchange, 200, reply);
        }
    }

    private List<EventPublisher.Outcome> await(List<CompletableFuture<EventPublisher.Outcome>> outcomes)
            throws IOException {
        // No producer.flush(): it would wait for other requests' records too; linger.ms bounds the wait instead.
        List<EventPublisher.Outcome> results = new ArrayList<>(outcomes.size());
        long deadline = System.nanoTime() + settings.ackTimeout().toNanos();
        for (CompletableFuture<EventPublisher.Outcome> outcome : outcomes) {
            try {
                results.add(outcome.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
            } catch (ExecutionException e) {
                throw new IOException(e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new IOException("no acknowledgement within " + settings.ackTimeout().toSeconds() + " s", e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        return results;
    }

    private SourceParser parser(String format) {
        SourceParser parser = parsers.get(format);
        if (parser == null) {
            parser = Parsers.forFormat(format, parserSettings);
            parsers.putIfAbsent(format, parser);
        }
        return parser;
    }

    private EventPublisher publisher(SourceParser parser) {
        return publishers.computeIfAbsent(parser.format(),
                format -> new EventPublisher(producer, topics, new IngestStats(registry, format)).withEventTime(eventTime));
    }

    static String formatOf(String path) {
        if ("/".equals(path) || "/v1/falco".equals(path)) {
            return "falco";
        }
        if ("/v1/k8s-audit".equals(path)) {
            return "k8s-audit";
        }
        String prefix = "/v1/ingest/";
        if (path.startsWith(prefix) && path.length() > prefix.length() && path.indexOf('/', prefix.length()) < 0) {
            return path.substring(prefix.length());
        }
        return null;
    }

    /**
     * Whether the request carries one valid bearer token: a static one (compared in constant time) or an OIDC one
     * ({@link OidcSenders}). Every refusal gets the same 401; the reason is logged at debug level, without the token.
     */
    private boolean authorized(Exchange exchange) {
        if (!settings.authenticates()) {
            return true;
        }
        List<String> headers = exchange.headers("Authorization");
        String header = headers.size() == 1 ? headers.get(0).strip() : null;
        if (header == null || header.length() < 8 || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
            LOG.debug("ingest request refused (401): {} Authorization header(s) and no bearer token, from {}",
                    headers.size(), exchange.remoteAddress());
            return false;
        }
        String presentedToken = header.substring(7).strip();
        byte[] presented = digest(presentedToken);
        boolean match = false;
        for (byte[] token : tokenDigests) {
            match |= MessageDigest.isEqual(token, presented);
        }
        if (!match && settings.oidc() != null) {
            match = settings.oidc().accepts(presentedToken);
        }
        if (!match) {
            LOG.debug("ingest request refused (401): unknown or invalid bearer token, from {}", exchange.remoteAddress());
        }
        return match;
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode message(String error) {
        return SafeJson.mapper().createObjectNode().put("error", error);
    }

    private static void respond(Exchange exchange, int status, ObjectNode body) {
        byte[] bytes;
        try {
            bytes = SafeJson.mapper().writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a response", e);
        }
        exchange.send(status, "application/json", bytes);
    }

    private static String clip(String value) {
        return value.length() > 100 ? value.substring(0, 100) + "..." : value;
    }

    @Override
    public void close() {
        server.close();
        producer.flush();
    }
}
