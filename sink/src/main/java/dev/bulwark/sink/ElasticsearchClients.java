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
import co.elastic.clients.transport.rest5_client.Rest5ClientTransport;
import co.elastic.clients.transport.rest5_client.low_level.Rest5Client;

/**
 * Creates Elasticsearch clients from Bulwark's connection settings.
 *
 * <p>Why: the sink, the CLI and the tests connect the same way (URL plus optional basic auth or API key).
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
        Rest5Client rest = Rest5Client.builder(uri).setDefaultHeaders(headers.toArray(Header[]::new)).build();
        return new ElasticsearchClient(new Rest5ClientTransport(rest, new JacksonJsonpMapper()));
    }

    /** A client without authentication (the local stack). */
    public static ElasticsearchClient create(String url) {
        return create(url, null, null, null);
    }
}
