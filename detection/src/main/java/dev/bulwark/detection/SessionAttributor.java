package dev.bulwark.detection;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import dev.bulwark.schemas.ExecSession;
import dev.bulwark.schemas.ParentProcess;
import dev.bulwark.schemas.ProcessInfo;
import dev.bulwark.schemas.SecurityEvent;
import io.micrometer.core.instrument.Counter;

/**
 * Writes {@code session} (who ran it, through which {@code kubectl exec} or {@code attach}) onto the process events of
 * an exec session, so every finding they cause names the session ({@link ExecSessions}).
 *
 * <p>How: a process the container runtime started ({@link ExecSessions#startedByRuntime}) in a pod is the root of the
 * session whose audit event names that pod (and container, and the process's program when the request gave a
 * command) and started within {@code grace} of it; of several such sessions, the nearest in time that no other process
 * claimed. Its descendants follow by parent: Tetragon's exec id and parent exec id, else the parent's pid and name
 * (Falco's {@code proc.ppid} and {@code proc.pname}), within one container, whose events share a partition.
 *
 * <p>Out of order: when a root that looks exec'd ({@link ExecSessions#looksExeced}) arrives before its audit event,
 * it and the events of its container after it wait, in order, in a changelogged buffer until the session arrives or
 * {@code wait} has passed (wall clock); then they go on, attributed or not. Nothing is dropped: a full buffer lets
 * events through at once. Entrypoints never wait, nor does anything while no session is known (no audit log).
 *
 * <p>Bounded: the processes of sessions are remembered until idle for {@code idle}, at most {@code maxProcesses} per
 * task (beyond that, new processes are attributed when they are roots, not followed to their children).
 */
public final class SessionAttributor implements Processor<String, SecurityEvent, String, SecurityEvent> {

    /** Processes of sessions ({@code e/<container>/<exec id>}, {@code pid/<container>/<pid>/<name>}) and claims. */
    public static final String PROCESSES = "exec-session-processes";
    /** Events waiting for the audit event of their container's session. */
    public static final String PENDING = "exec-session-pending";

    private final Duration grace;
    private final Duration wait;
    private final Duration idle;
    private final int maxProcesses;
    private final int maxPending;
    private final Counter attributed;
    private ProcessorContext<String, SecurityEvent> context;
    private ReadOnlyKeyValueStore<String, ExecSession> sessions;
    private KeyValueStore<String, ExecSession> processes;
    private KeyValueStore<String, SecurityEvent> pending;
    private final Map<String, ArrayDeque<String>> pendingByContainer = new LinkedHashMap<>();
    private final Map<String, Long> lastSeen = new HashMap<>();
    private long pendingCount;
    private long sequence;

    /**
     * @param grace how far apart an audit event and its root process may be (event time)
     * @param wait how long (wall clock) a root that looks exec'd waits for an audit event not arrived yet
     * @param idle how long a session's process is remembered after it was last seen
     * @param maxProcesses most session processes remembered per task
     * @param maxPending most events waiting at once per task
     * @param attributed counts events attributed to a session
     */
    public SessionAttributor(Duration grace, Duration wait, Duration idle, int maxProcesses, int maxPending,
                             Counter attributed) {
        this.grace = grace;
        this.wait = wait;
        this.idle = idle;
        this.maxProcesses = maxProcesses;
        this.maxPending = maxPending;
        this.attributed = attributed;
    }

    @Override
    public void init(ProcessorContext<String, SecurityEvent> context) {
        this.context = context;
        this.sessions = context.getStateStore(ExecSessionDirectory.STORE);
        this.processes = context.getStateStore(PROCESSES);
        this.pending = context.getStateStore(PENDING);
        long now = context.currentSystemTimeMs();
        try (KeyValueIterator<String, ExecSession> it = processes.all()) {
            it.forEachRemaining(kv -> lastSeen.put(kv.key, now));
        }
        try (KeyValueIterator<String, SecurityEvent> it = pending.all()) {
            it.forEachRemaining(kv -> enqueue(containerOf(kv.value), kv.key));
        }
        context.schedule(Duration.ofMillis(Math.max(100, wait.toMillis() / 4)), PunctuationType.WALL_CLOCK_TIME,
                this::release);
        context.schedule(Duration.ofMinutes(1), PunctuationType.WALL_CLOCK_TIME, this::forgetIdle);
    }

    @Override
    public void process(Record<String, SecurityEvent> record) {
        SecurityEvent event = record.value();
        String container = containerOf(event);
        if (container == null) {
            context.forward(record);
            return;
        }
        if (!pendingByContainer.containsKey(container)) { // else behind its container's waiting events, in order
            SecurityEvent result = attribute(container, event, pendingCount >= maxPending);
            if (result != null) {
                context.forward(record.withValue(result));
                return;
            }
        }
        String key = String.format("%013d/%010d/%013d/%s", context.currentSystemTimeMs(),
                sequence++ % 10_000_000_000L, Math.max(0, record.timestamp()), record.key() == null ? "" : record.key());
        pending.put(key, event);
        enqueue(container, key);
    }

    private void enqueue(String container, String key) {
        pendingByContainer.computeIfAbsent(container, c -> new ArrayDeque<>()).addLast(key);
        pendingCount++;
    }

    /** Releases, container by container and in order, what no longer waits: its session came, or its wait ran out. */
    private void release(long now) {
        for (Iterator<Map.Entry<String, ArrayDeque<String>>> it = pendingByContainer.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, ArrayDeque<String>> waiting = it.next();
            ArrayDeque<String> keys = waiting.getValue();
            while (!keys.isEmpty()) {
                String key = keys.peekFirst();
                SecurityEvent event = pending.get(key);
                boolean expired = Long.parseLong(key.substring(0, 13)) <= now - wait.toMillis();
                SecurityEvent result = event == null ? null : attribute(waiting.getKey(), event, expired);
                if (event != null && result == null) {
                    break; // still waiting for its session
                }
                keys.pollFirst();
                pending.delete(key);
                pendingCount--;
                if (result != null) {
                    String recordKey = key.substring(39);
                    context.forward(new Record<>(recordKey.isEmpty() ? null : recordKey, result,
                            Long.parseLong(key.substring(25, 38))));
                }
            }
            if (keys.isEmpty()) {
                it.remove();
            }
        }
    }

    /**
     * The event with its session when it has one, the event as it is when it has none, or null when it is a root
     * whose session may still arrive and {@code force} is false.
     */
    private SecurityEvent attribute(String container, SecurityEvent event, boolean force) {
        ProcessInfo process = event.getProcess();
        if (process == null) {
            return event;
        }
        ExecSession session = known(container, process);
        if (session == null && ExecSessions.startedByRuntime(process) && event.getKubernetes() != null
                && event.getKubernetes().getNamespace() != null && event.getKubernetes().getPod() != null) {
            session = claim(event);
            if (session == null && !force && !wait.isZero() && ExecSessions.looksExeced(process)
                    && sessions.approximateNumEntries() > 0) {
                return null;
            }
        }
        if (session == null) {
            forgetReusedPid(container, process);
            return event;
        }
        remember(container, process, session);
        attributed.increment();
        return SecurityEvent.newBuilder(event).setSession(session).build();
    }

    /** The session of a process already followed, or of its parent. */
    private ExecSession known(String container, ProcessInfo process) {
        ParentProcess parent = process.getParent();
        if (process.getEntityId() != null) {
            ExecSession own = followed(entityKey(container, process.getEntityId()));
            if (own != null || parent == null || parent.getEntityId() == null) {
                return own;
            }
            return followed(entityKey(container, parent.getEntityId()));
        }
        if (parent != null && parent.getPid() != null && parent.getName() != null) {
            ExecSession viaParent = followed(pidKey(container, parent.getPid(), parent.getName()));
            if (viaParent != null) {
                return viaParent;
            }
        }
        String name = nameOf(process);
        return process.getPid() == null || name == null ? null : followed(pidKey(container, process.getPid(), name));
    }

    /** The nearest session of the event's pod, container and command that no other root claimed; claims it. */
    private ExecSession claim(SecurityEvent event) {
        long at = Math.floorDiv(event.getTimestamp(), 1_000_000L);
        String containerName = event.getContainer() == null ? null : event.getContainer().getName();
        List<ExecSession> near = ExecSessionDirectory.near(sessions, event.getKubernetes().getNamespace(),
                event.getKubernetes().getPod(), at, grace);
        ExecSession best = null;
        for (ExecSession candidate : near) {
            if (!"exec".equals(candidate.getVia()) || followed(claimKey(candidate)) != null
                    || (candidate.getContainer() != null && containerName != null
                    && !candidate.getContainer().equals(containerName))
                    || !ExecSessions.commandFits(candidate, event.getProcess())) {
                continue;
            }
            if (best == null || Math.abs(candidate.getStarted() - at) < Math.abs(best.getStarted() - at)) {
                best = candidate;
            }
        }
        if (best != null) {
            put(claimKey(best), best);
        }
        return best;
    }

    /** A followed process's (or claim's) session; the in-memory key set answers the usual "not followed" alone. */
    private ExecSession followed(String key) {
        return lastSeen.containsKey(key) ? processes.get(key) : null;
    }

    private void remember(String container, ProcessInfo process, ExecSession session) {
        String key = process.getEntityId() != null ? entityKey(container, process.getEntityId())
                : process.getPid() != null && nameOf(process) != null ? pidKey(container, process.getPid(), nameOf(process))
                : null;
        if (key != null) {
            put(key, session);
        }
    }

    private void put(String key, ExecSession session) {
        if (lastSeen.containsKey(key) || lastSeen.size() < maxProcesses) {
            processes.put(key, session);
            lastSeen.put(key, context.currentSystemTimeMs());
        }
    }

    /** A process outside every session that reuses the pid (and name) of a session's process ends that entry. */
    private void forgetReusedPid(String container, ProcessInfo process) {
        String name = nameOf(process);
        if (process.getEntityId() == null && process.getPid() != null && name != null) {
            String key = pidKey(container, process.getPid(), name);
            if (lastSeen.remove(key) != null) {
                processes.delete(key);
            }
        }
    }

    private void forgetIdle(long now) {
        for (Iterator<Map.Entry<String, Long>> it = lastSeen.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, Long> entry = it.next();
            if (entry.getValue() <= now - idle.toMillis()) {
                processes.delete(entry.getKey());
                it.remove();
            }
        }
    }

    private static String containerOf(SecurityEvent event) {
        return event.getContainer() == null ? null : event.getContainer().getId();
    }

    private static String nameOf(ProcessInfo process) {
        return process.getName() != null ? process.getName() : ExecSessions.basename(process.getExecutable());
    }

    private static String entityKey(String container, String entityId) {
        return "e/" + container + "/" + entityId;
    }

    private static String pidKey(String container, long pid, String name) {
        return "pid/" + container + "/" + pid + "/" + name;
    }

    private static String claimKey(ExecSession session) {
        return "claim/" + session.getId();
    }
}
