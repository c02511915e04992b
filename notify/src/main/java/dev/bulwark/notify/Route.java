package dev.bulwark.notify;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One declared notification route: which records (findings or incidents, of one tenant or all, at or above a
 * severity) go where (a signed webhook, a Slack-compatible incoming webhook, or Alertmanager's v2 API).
 *
 * <p>Why a record of its own with checks in the constructor: a route is built from configuration an operator typed, and
 * carries secrets (the webhook's HMAC key, an Alertmanager bearer token, the Slack URL itself). Validation here means a
 * bad route fails at start with a message naming the field, and {@link #toString()} never prints a secret.
 *
 * @param name 1-40 of {@code [a-z0-9-]}; names the consumer group, the thread, the metrics' tag
 * @param kind what the route reads: the findings topic or the incidents topic
 * @param tenant the one tenant whose data it gets, or null for every tenant (a SOC route)
 * @param minSeverity the lowest severity of findings it notifies; null for all. Findings routes only
 * @param format how notifications are encoded and sent
 * @param url where they go: the webhook or Slack URL, or Alertmanager's base URL ({@code /api/v2/alerts} is added)
 * @param secret the HMAC key of a webhook (required, at least 16 characters) or an optional bearer token for
 *     Alertmanager; null for Slack, whose URL is its secret
 * @param ratePerMinute notifications sent per minute at most; what is beyond is summarised when the minute rolls over
 * @param deadLetterAfter how long deliveries may keep failing before the records are dead-lettered
 * @param generatorUrl for Alertmanager: a link template with {@code {id}} (the finding or incident id), or null
 */
public record Route(String name, Kind kind, String tenant, String minSeverity, Format format, URI url, String secret,
                    int ratePerMinute, Duration deadLetterAfter, String generatorUrl) {

    /** What a route reads. */
    public enum Kind {
        FINDINGS, INCIDENTS;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How a route encodes and sends. */
    public enum Format {
        WEBHOOK, SLACK, ALERTMANAGER;

        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Notifications per minute when a route does not say. */
    public static final int DEFAULT_RATE_PER_MINUTE = 30;
    /** How long a route may fail before records are dead-lettered, when it does not say. */
    public static final Duration DEFAULT_DEAD_LETTER_AFTER = Duration.ofMinutes(10);
    /** The shortest webhook HMAC key. */
    public static final int MIN_SECRET_LENGTH = 16;

    private static final Pattern NAME = Pattern.compile("[a-z0-9-]{1,40}");
    private static final Pattern TENANT = Pattern.compile("[a-z0-9][a-z0-9._-]{0,62}");

    public Route {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("name: a route name is 1-40 lower-case letters, digits or '-'; got "
                    + (name == null ? "nothing" : "'" + clip(name) + "'"));
        }
        if (kind == null) {
            throw new IllegalArgumentException("kind: say findings or incidents");
        }
        if (format == null) {
            throw new IllegalArgumentException("format: say webhook, slack or alertmanager");
        }
        if (tenant != null && (!TENANT.matcher(tenant).matches() || tenant.contains(".."))) {
            throw new IllegalArgumentException("tenant: tenant names are 1-63 lower-case letters, digits, '.', '_' or"
                    + " '-', starting with a letter or digit; leave it out for a route of every tenant");
        }
        if (minSeverity != null) {
            if (kind != Kind.FINDINGS) {
                throw new IllegalArgumentException("minSeverity: only findings routes filter by severity; remove it"
                        + " from this incidents route");
            }
            if (Severity.rank(minSeverity) < 0) {
                throw new IllegalArgumentException("minSeverity: say low, medium, high or critical");
            }
            minSeverity = minSeverity.toLowerCase(Locale.ROOT);
        }
        if (url == null) {
            throw new IllegalArgumentException("url: required");
        }
        if (ratePerMinute < 1 || ratePerMinute > 10_000) {
            throw new IllegalArgumentException("ratePerMinute: between 1 and 10000; got " + ratePerMinute);
        }
        if (deadLetterAfter == null) {
            deadLetterAfter = DEFAULT_DEAD_LETTER_AFTER;
        }
        if (deadLetterAfter.compareTo(Duration.ofSeconds(1)) < 0 || deadLetterAfter.compareTo(Duration.ofDays(7)) > 0) {
            throw new IllegalArgumentException("deadLetterAfter: between 1s and 7d");
        }
        switch (format) {
            case WEBHOOK -> {
                if (secret == null || secret.length() < MIN_SECRET_LENGTH) {
                    throw new IllegalArgumentException("secret: a webhook route signs with an HMAC key of at least "
                            + MIN_SECRET_LENGTH + " characters; generate one, e.g. `openssl rand -hex 32`");
                }
            }
            case SLACK -> {
                if (secret != null) {
                    throw new IllegalArgumentException("secret: a Slack route has no secret of its own (its URL is the"
                            + " secret); remove it");
                }
            }
            case ALERTMANAGER -> {
                if (secret != null && (secret.isBlank() || secret.chars().anyMatch(c -> c < 0x21 || c > 0x7e))) {
                    throw new IllegalArgumentException("secret: an Alertmanager bearer token is printable ASCII"
                            + " without spaces");
                }
            }
        }
        if (generatorUrl != null && (format != Format.ALERTMANAGER || !generatorUrl.startsWith("http"))) {
            throw new IllegalArgumentException("generatorUrl: only for alertmanager routes, an http(s) link that may"
                    + " hold {id}");
        }
    }

    /**
     * Checks where the route sends: an absolute {@code https} URL, or plain {@code http} only to a loopback address
     * unless {@code allowPlainHttp}; never user information in the URL.
     *
     * @throws IllegalArgumentException naming the field and what to do
     */
    public Route checkUrl(boolean allowPlainHttp) {
        String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
        if (!url.isAbsolute() || url.getHost() == null || url.getHost().isBlank()) {
            throw new IllegalArgumentException("url: an absolute http(s) URL with a host");
        }
        if (url.getRawUserInfo() != null) {
            throw new IllegalArgumentException("url: no user:password in the URL; use secret for a bearer token");
        }
        if (url.getRawFragment() != null) {
            throw new IllegalArgumentException("url: no #fragment");
        }
        if (scheme.equals("https")) {
            return this;
        }
        if (!scheme.equals("http")) {
            throw new IllegalArgumentException("url: https (or http to a loopback address); got scheme '" + clip(scheme) + "'");
        }
        if (!allowPlainHttp && !isLoopback(url.getHost())) {
            throw new IllegalArgumentException("url: plain http would send findings and secrets in clear text; use"
                    + " https, or set notify.allowPlainHttp: true for a receiver on a trusted network");
        }
        return this;
    }

    private static boolean isLoopback(String host) {
        String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false; // a name: would need a DNS look-up, which must not decide security
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /** True when the route gets every tenant's data. */
    public boolean allTenants() {
        return tenant == null;
    }

    /** The URL as safe to print: scheme, host and port only (a Slack URL's path is its secret). */
    public String safeUrl() {
        String port = url.getPort() < 0 ? "" : ":" + url.getPort();
        String path = format == Format.SLACK ? "/…" : (url.getRawPath() == null ? "" : url.getRawPath());
        return url.getScheme() + "://" + url.getHost() + port + (format == Format.SLACK || url.getRawQuery() == null
                ? path : path + "?…");
    }

    @Override
    public String toString() {
        return "Route[name=" + name + ", kind=" + kind.label() + ", tenant=" + (tenant == null ? "*" : tenant)
                + ", minSeverity=" + minSeverity + ", format=" + format.label() + ", url=" + safeUrl()
                + ", secret=" + (secret == null ? "none" : "(redacted)") + ", ratePerMinute=" + ratePerMinute
                + ", deadLetterAfter=" + deadLetterAfter + "]";
    }

    private static String clip(String value) {
        String v = value.length() > 60 ? value.substring(0, 60) + "…" : value;
        return v.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
