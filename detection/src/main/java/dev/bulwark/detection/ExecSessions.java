package dev.bulwark.detection;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import dev.bulwark.schemas.ExecSession;
import dev.bulwark.schemas.Ids;
import dev.bulwark.schemas.KubernetesAttributes;
import dev.bulwark.schemas.KubernetesAudit;
import dev.bulwark.schemas.ParentProcess;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;

/**
 * What opens a {@code kubectl exec} or {@code attach} session, and which process a container runtime starts for one.
 *
 * <p>A session opens with a Kubernetes audit event on the {@code exec} or {@code attach} subresource of a pod: verb
 * {@code create} (SPDY), or {@code get} since kubectl 1.30 sends it over WebSockets. A request the API server refused
 * (decision forbid, or a response code of 400 and above) opens none. Every stage of one request is the same session:
 * its id comes from the audit id.
 */
public final class ExecSessions {

    private ExecSessions() {
    }

    /** The session an audit event opens, or null when it opens none. */
    public static ExecSession of(SecurityEvent event) {
        KubernetesAudit audit = event.getKubernetesAudit();
        if (audit == null || !"pods".equals(audit.getResource()) || audit.getAuditId() == null
                || audit.getObjectNamespace() == null || audit.getObjectName() == null) {
            return null;
        }
        String via = audit.getSubresource();
        if (!"exec".equals(via) && !"attach".equals(via)) {
            return null;
        }
        if (!"create".equals(audit.getVerb()) && !"get".equals(audit.getVerb())) {
            return null;
        }
        if ("forbid".equals(audit.getDecision())
                || (audit.getResponseCode() != null && audit.getResponseCode() >= 400)) {
            return null;
        }
        String authenticated = audit.getSubjectUser();
        String impersonated = audit.getImpersonatedUser();
        String user = impersonated != null ? impersonated : authenticated;
        if (user == null) {
            return null;
        }
        List<String> command = new ArrayList<>();
        String container = null;
        String uri = audit.getRequestUri();
        int query = uri == null ? -1 : uri.indexOf('?');
        if (query >= 0) {
            for (String pair : uri.substring(query + 1).split("&")) {
                int equals = pair.indexOf('=');
                if (equals <= 0) {
                    continue;
                }
                String name = pair.substring(0, equals);
                String value = decode(pair.substring(equals + 1));
                if ("command".equals(name) && command.size() < 64) {
                    command.add(value);
                } else if ("container".equals(name) && container == null && !value.isEmpty()) {
                    container = value;
                }
            }
        }
        return ExecSession.newBuilder()
                .setId(Ids.of("exec-session", audit.getAuditId()))
                .setAuditId(audit.getAuditId())
                .setUser(user)
                .setAuthenticatedUser(impersonated != null ? authenticated : null)
                .setVia(via)
                .setNamespace(audit.getObjectNamespace())
                .setPod(audit.getObjectName())
                .setContainer(container)
                .setCommand(command)
                .setStarted(started(event))
                .build();
    }

    /** When the API server received the request (a later stage's own time can be the end of the session). */
    private static long started(SecurityEvent event) {
        String received = event.getAttributes().get(KubernetesAttributes.AUDIT_REQUEST_RECEIVED_TIMESTAMP);
        if (received != null) {
            try {
                return Instant.parse(received).toEpochMilli();
            } catch (DateTimeParseException e) {
                // the stage's time below
            }
        }
        return Math.floorDiv(event.getTimestamp(), 1_000_000L);
    }

    private static String decode(String value) {
        try {
            return URLDecoder.decode(value, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return value;
        }
    }

    /**
     * True when a process was started by the container runtime for an exec (its parent is {@code runc}, {@code crun},
     * a {@code containerd-shim} or {@code conmon}, as Falco's {@code proc.pname} and Tetragon's parent binary name
     * them). A container's own entrypoint has such a parent too; no audit event matches it, so it joins no session.
     */
    public static boolean startedByRuntime(ProcessInfo process) {
        ParentProcess parent = process == null ? null : process.getParent();
        if (parent == null) {
            return false;
        }
        String name = parent.getName() != null ? parent.getName() : basename(parent.getExecutable());
        if (name == null) {
            return false;
        }
        String lower = name.toLowerCase(Locale.ROOT);
        return lower.startsWith("runc") || lower.equals("crun") || lower.startsWith("containerd-shim")
                || lower.equals("conmon");
    }

    /**
     * True when a process the runtime started looks like an exec's, not a container's entrypoint: its parent is
     * {@code runc} or {@code crun} running {@code exec} (Tetragon gives the parent's arguments), or it has a terminal
     * ({@code kubectl exec -it}; Falco's {@code proc.tty}). Only such a process waits for an audit event that has not
     * arrived yet: entrypoints, which have the same parents, would otherwise all wait in vain.
     */
    public static boolean looksExeced(ProcessInfo process) {
        if (!startedByRuntime(process)) {
            return false;
        }
        String parent = process.getParent().getCommandLine();
        if (parent != null && (" " + parent + " ").contains(" exec ")) {
            return true;
        }
        return Boolean.TRUE.equals(process.getInteractive()) || (process.getTty() != null && process.getTty() != 0);
    }

    /**
     * True when an exec's command can have started this process: the program names agree (the command's first word and
     * the process's name or executable, without directories). An attach, or an exec whose command is unknown, fits
     * any process.
     */
    public static boolean commandFits(ExecSession session, ProcessInfo process) {
        if (session.getCommand().isEmpty() || process == null) {
            return true;
        }
        String program = basename(session.getCommand().get(0));
        String name = process.getName() != null ? process.getName() : basename(process.getExecutable());
        return name == null || name.equals(program) || program.equals(basename(process.getExecutable()));
    }

    static String basename(String path) {
        if (path == null) {
            return null;
        }
        int slash = path.lastIndexOf('/');
        return slash < 0 ? path : path.substring(slash + 1);
    }
}
