package dev.bulwark.contextwatch;

import java.net.InetAddress;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;

/**
 * fabric8's mock Kubernetes API server in CRUD mode (objects kept in memory, real REST and watch protocol over a
 * loopback port), plus two things a real API server does that CRUD mode does not on its own: expiring open watches
 * with {@code 410 Gone}, and losing a deletion no watch saw (as when it happened while a watch was down and etcd has
 * compacted the history since).
 */
public final class MockCluster implements AutoCloseable {

    private final ExpiringCrudDispatcher dispatcher = new ExpiringCrudDispatcher();
    private final KubernetesMockServer server;
    public final KubernetesClient client;

    @SuppressWarnings("deprecation") // the mapper KubernetesMockServer itself passes to its Context
    public MockCluster() {
        server = new KubernetesMockServer(new Context(Serialization.jsonMapper()), new MockWebServer(), new HashMap<>(),
                dispatcher, false);
        server.init(InetAddress.getLoopbackAddress(), 0);
        client = server.createClient(builder -> builder.editOrNewConfig().withWatchReconnectInterval(100)
                .withWatchReconnectLimit(-1).endConfig());
    }

    /**
     * Ends every open watch of this resource (plural, e.g. {@code pods}) with the API server's answer to a too old
     * resourceVersion: an ERROR event holding a Status with code 410, then a close.
     *
     * @return how many watches were expired
     */
    public int expireWatches(String resource) {
        return dispatcher.expire(resource);
    }

    /** Number of open watches of this resource. */
    public int openWatches(String resource) {
        return dispatcher.open(resource);
    }

    /**
     * Removes an object from the server's store without telling any watch, so only a relist can notice it is gone.
     *
     * @return whether the object was there
     */
    public boolean deleteUnseen(String kind, String namespace, String name) {
        Map<AttributeSet, String> map = dispatcher.getMap();
        synchronized (map) {
            for (Iterator<Map.Entry<AttributeSet, String>> it = map.entrySet().iterator(); it.hasNext(); ) {
                GenericKubernetesResource object = Serialization.unmarshal(it.next().getValue(),
                        GenericKubernetesResource.class);
                if (kind.equals(object.getKind()) && name.equals(object.getMetadata().getName())
                        && java.util.Objects.equals(namespace, object.getMetadata().getNamespace())) {
                    it.remove();
                    return true;
                }
            }
        }
        return false;
    }

    @Override
    public void close() {
        client.close();
        server.destroy();
    }

    /** The CRUD dispatcher, keeping hold of each open watch's web socket. */
    private static final class ExpiringCrudDispatcher extends KubernetesCrudDispatcher {

        private final Set<WebSocket> watches = ConcurrentHashMap.newKeySet();

        @Override
        public MockResponse handleWatch(String path) {
            WebSocketListener crud = super.handleWatch(path).getWebSocketListener();
            return new MockResponse().withWebSocketUpgrade(new WebSocketListener() {
                @Override
                public void onBeforeAccept(WebSocket webSocket, Response response) {
                    crud.onBeforeAccept(webSocket, response);
                }

                @Override
                public void onOpen(WebSocket webSocket, Response response) {
                    watches.add(webSocket);
                    crud.onOpen(webSocket, response);
                }

                @Override
                public void onMessage(WebSocket webSocket, String text) {
                    crud.onMessage(webSocket, text);
                }

                @Override
                public void onClosing(WebSocket webSocket, int code, String reason) {
                    watches.remove(webSocket);
                    crud.onClosing(webSocket, code, reason);
                }

                // The CRUD listener waits here for its sender thread, whose queued close needs this (event loop)
                // thread: run it elsewhere, or a client closing its watches stalls the server for half a minute.
                @Override
                public void onClosed(WebSocket webSocket, int code, String reason) {
                    watches.remove(webSocket);
                    CompletableFuture.runAsync(() -> crud.onClosed(webSocket, code, reason));
                }

                @Override
                public void onFailure(WebSocket webSocket, Throwable t, Response response) {
                    watches.remove(webSocket);
                    CompletableFuture.runAsync(() -> crud.onFailure(webSocket, t, response));
                }
            });
        }

        int open(String resource) {
            return (int) watches.stream().filter(ws -> watches(ws, resource)).count();
        }

        int expire(String resource) {
            int expired = 0;
            for (WebSocket webSocket : watches) {
                if (watches(webSocket, resource)) {
                    watches.remove(webSocket);
                    webSocket.send("{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                            + "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource version\","
                            + "\"reason\":\"Expired\",\"code\":410}}");
                    webSocket.close(1000, "expired");
                    expired++;
                }
            }
            return expired;
        }

        private static boolean watches(WebSocket webSocket, String resource) {
            String path = webSocket.request().getPath();
            int query = path.indexOf('?');
            return (query < 0 ? path : path.substring(0, query)).endsWith("/" + resource);
        }
    }
}
