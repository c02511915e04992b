package dev.bulwark.notify;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads routes from configuration: a list of maps, the shape a YAML parser gives for
 *
 * <pre>
 * - name: soc-incidents
 *   kind: incidents            # or findings
 *   format: webhook            # webhook | slack | alertmanager
 *   url: https://hooks.example.com/bulwark
 *   secret: ...                # webhook: HMAC key (16+ chars); alertmanager: optional bearer token
 *   tenant: acme               # optional: only this tenant's data
 *   minSeverity: high         # optional, findings routes only
 *   ratePerMinute: 30        # optional
 *   deadLetterAfter: 10m     # optional: 90s, 10m, 1h
 *   generatorUrl: https://bulwark.example.com/findings/{id}   # optional, alertmanager only
 * </pre>
 *
 * <p>Why strict: an unknown key is usually a typo that would silently route nothing (or everything), so it fails with
 * the route and the field named. Messages never repeat a secret or a URL.
 */
public final class Routes {

    private static final Set<String> KEYS = Set.of("name", "kind", "format", "url", "secret", "tenant", "minSeverity",
            "ratePerMinute", "deadLetterAfter", "generatorUrl");

    private Routes() {
    }

    /**
     * Parses and validates every route.
     *
     * @param where the configuration key, for messages ({@code notify.routes})
     * @param raw the list of route maps (null or empty gives no routes)
     * @param allowPlainHttp whether plain http to non-loopback hosts is allowed
     * @throws IllegalArgumentException naming the route and the field that is wrong, and what to do
     */
    public static List<Route> parse(String where, Object raw, boolean allowPlainHttp) {
        if (raw == null) {
            return List.of();
        }
        if (!(raw instanceof List<?> list)) {
            throw new IllegalArgumentException(where + ": a list of routes, each with name, kind, format and url");
        }
        List<Route> routes = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (int i = 0; i < list.size(); i++) {
            Object item = list.get(i);
            String at = where + "[" + i + "]";
            if (!(item instanceof Map<?, ?> map)) {
                throw new IllegalArgumentException(at + ": a route is a map with name, kind, format and url");
            }
            Object nameValue = map.get("name");
            if (nameValue instanceof String n && !n.isBlank()) {
                at = at + " (route '" + n.replaceAll("[^a-z0-9-]", "?") + "')";
            }
            try {
                Route route = parseOne(map).checkUrl(allowPlainHttp);
                if (!names.add(route.name())) {
                    throw new IllegalArgumentException("name: another route has this name; names must be unique");
                }
                routes.add(route);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(at + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(routes);
    }

    private static Route parseOne(Map<?, ?> map) {
        for (Object key : map.keySet()) {
            if (!(key instanceof String k) || !KEYS.contains(k)) {
                throw new IllegalArgumentException("unknown field '" + String.valueOf(key).replaceAll("[^\\x20-\\x7e]", "?")
                        + "'; the fields are " + new java.util.TreeSet<>(KEYS));
            }
        }
        String name = string(map, "name", true);
        Route.Kind kind = enumValue(Route.Kind.class, string(map, "kind", true), "kind", "findings or incidents");
        Route.Format format = enumValue(Route.Format.class, string(map, "format", true), "format",
                "webhook, slack or alertmanager");
        String urlText = string(map, "url", true);
        URI url;
        try {
            url = new URI(urlText.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("url: not a valid URL (check for spaces or unescaped characters)");
        }
        int rate = Route.DEFAULT_RATE_PER_MINUTE;
        Object rateValue = map.get("ratePerMinute");
        if (rateValue != null) {
            if (rateValue instanceof Integer n) {
                rate = n;
            } else if (rateValue instanceof String s && s.strip().matches("[0-9]{1,6}")) {
                rate = Integer.parseInt(s.strip());
            } else {
                throw new IllegalArgumentException("ratePerMinute: a whole number, e.g. 30");
            }
        }
        Duration deadLetterAfter = null;
        Object dla = map.get("deadLetterAfter");
        if (dla != null) {
            deadLetterAfter = duration(String.valueOf(dla).strip());
        }
        return new Route(name, kind, string(map, "tenant", false), string(map, "minSeverity", false), format, url,
                string(map, "secret", false), rate, deadLetterAfter, string(map, "generatorUrl", false));
    }

    /** A duration in Bulwark's configuration format ({@code 90s}, {@code 10m}, {@code 1h}, {@code 2d}). */
    static Duration duration(String text) {
        try {
            return dev.bulwark.config.Durations.parse(text);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("deadLetterAfter: a duration such as 90s, 10m or 1h (" + e.getMessage()
                    + ")");
        }
    }

    private static String string(Map<?, ?> map, String key, boolean required) {
        Object value = map.get(key);
        if (value == null) {
            if (required) {
                throw new IllegalArgumentException(key + ": required");
            }
            return null;
        }
        if (!(value instanceof String s)) {
            throw new IllegalArgumentException(key + ": a string");
        }
        if (s.isBlank()) {
            if (required) {
                throw new IllegalArgumentException(key + ": required, and empty here");
            }
            return null;
        }
        return s;
    }

    private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String field, String choices) {
        try {
            return Enum.valueOf(type, value.strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": say " + choices);
        }
    }
}
