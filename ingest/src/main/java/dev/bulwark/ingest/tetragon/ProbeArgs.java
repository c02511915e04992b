package dev.bulwark.ingest.tetragon;

import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;

import dev.bulwark.ingest.JsonFields;
import dev.bulwark.ingest.Normalization;
import dev.bulwark.ingest.ParseException;
import dev.bulwark.ingest.SafeJson;
import dev.bulwark.schemas.Endpoint;

/**
 * What the typed arguments of a kprobe, tracepoint, uprobe, LSM or USDT event say about files, sockets and kernel
 * modules.
 *
 * <p>Why: Tetragon renders each hooked function argument as a one-key object named by its type ({@code file_arg},
 * {@code sock_arg}, ...), in the order the policy lists them; the first file and the first socket found become the
 * event's {@code file.path} and {@code source}/{@code destination}, everything else stays verbatim in attributes.
 */
final class ProbeArgs {

    String filePath;
    Endpoint source;
    Endpoint destination;
    String transport;
    boolean module;

    void read(JsonNode arg) throws ParseException {
        for (Map.Entry<String, JsonNode> entry : arg.properties()) {
            String kind = entry.getKey();
            JsonNode value = entry.getValue();
            switch (kind) {
                case "file_arg", "path_arg", "linux_binprm_arg" -> {
                    JsonNode file = objectValue(kind, value);
                    String path = JsonFields.text(file, "path");
                    if (filePath == null && path != null) {
                        filePath = path;
                    }
                }
                case "sock_arg", "skb_arg" -> {
                    JsonNode sock = objectValue(kind, value);
                    if (source == null && destination == null) {
                        source = Normalization.endpoint(sock, "saddr", "sport");
                        destination = Normalization.endpoint(sock, "daddr", "dport");
                        transport = TetragonParser.transport(sock.get(sock.has("protocol") ? "protocol" : "proto"));
                    }
                }
                case "sockaddr_arg" -> {
                    JsonNode address = objectValue(kind, value);
                    if (destination == null) {
                        destination = Normalization.endpoint(address, "addr", "port");
                    }
                }
                case "module_arg" -> module = true;
                default -> {
                    // Other argument types (int_arg, bytes_arg, process_credentials_arg, ...) are kept verbatim.
                }
            }
        }
    }

    private static JsonNode objectValue(String field, JsonNode value) throws ParseException {
        if (!value.isObject()) {
            throw new ParseException("field '" + field + "' must be an object, got " + SafeJson.describe(value));
        }
        return value;
    }
}
