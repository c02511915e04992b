package dev.bulwark.sink;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.message.BasicHeader;

import co.elastic.clients.elasticsearch.ElasticsearchClient;
import co.elastic.clients.json.jackson.JacksonJsonpMapper;
import co.elastic.clients.transport.TransportUtils;
import co.elastic.clients.transport.rest5_client.Rest5ClientTransport;
import co.elastic.clients.transport.rest5_client.low_level.Rest5Client;

/**
 * Creates Elasticsearch clients from Bulwark's connection settings.
 *
 * <p>Why: the sink, the CLI and the tests connect the same way (URL, basic auth or an API key, and for HTTPS the CA).
 */
public final class ElasticsearchClients {

    private ElasticsearchClients() {
    }

    /**
     * A client for {@code url}.
     *
     * @param username basic-auth user, or null
     * @param password basic-auth password, or null
     * @param apiKey an encoded API key ({@code base64(id:key)}), or null
     */
    public static ElasticsearchClient create(String url, String username, String password, String apiKey) {
        return create(url, username, password, apiKey, null, null);
    }

    /**
     * A client for {@code url}, trusting an HTTPS node's certificate through its CA: a PEM file, or the SHA-256
     * fingerprint of the CA certificate (what Elasticsearch prints at first start). Without either, an https:// URL is
     * checked against the JDK's trusted CAs. Hostnames are verified either way.
     *
     * @param caFile PEM certificate of the CA, or null
     * @param caFingerprint hex SHA-256 fingerprint of the CA certificate (colons allowed), or null
     */
    public static ElasticsearchClient create(String url, String username, String password, String apiKey,
                                             java.nio.file.Path caFile, String caFingerprint) {
        URI uri = URI.create(url);
        if (uri.getScheme() == null || uri.getHost() == null) {
            throw new IllegalArgumentException("Elasticsearch URL must look like http://host:9200, got " + url);
        }
        List<Header> headers = new ArrayList<>();
        if (apiKey != null && !apiKey.isBlank()) {
            headers.add(new BasicHeader("Authorization", "ApiKey " + apiKey));
        } else if (username != null && !username.isBlank()) {
            String token = Base64.getEncoder().encodeToString((username + ":" + (password == null ? "" : password))
                    .getBytes(StandardCharsets.UTF_8));
            headers.add(new BasicHeader("Authorization", "Basic " + token));
        }
        var builder = Rest5Client.builder(uri).setDefaultHeaders(headers.toArray(Header[]::new));
        if (caFile != null || caFingerprint != null) {
            if (!"https".equals(uri.getScheme())) {
                throw new IllegalArgumentException("a CA is given for Elasticsearch, but its URL is not https://: " + url);
            }
            try {
                builder.setSSLContext(caFile != null ? TransportUtils.sslContextFromHttpCaCrt(caFile.toFile())
                        : TransportUtils.sslContextFromCaFingerprint(caFingerprint.replace(":", "")));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot read the Elasticsearch CA certificate " + caFile, e);
            }
        }
        Rest5Client rest = builder.build();
        return new ElasticsearchClient(new Rest5ClientTransport(rest, new JacksonJsonpMapper()));
    }

    /** A client without authentication (the local stack). */
    public static ElasticsearchClient create(String url) {
        return create(url, null, null, null);
    }
}
