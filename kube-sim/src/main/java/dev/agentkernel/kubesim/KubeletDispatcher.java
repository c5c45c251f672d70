package dev.agentkernel.kubesim;

import io.fabric8.mockwebserver.http.Dispatcher;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The API server's front door: {@code pods/{name}/exec} and {@code pods/{name}/attach} are served here, as the API
 * server would by proxying to the pod's kubelet; everything else goes to fabric8's CRUD dispatcher.
 */
final class KubeletDispatcher extends Dispatcher {
    private static final Pattern STREAM = Pattern.compile("^/api/v1/namespaces/([^/]+)/pods/([^/]+)/(exec|attach)(\\?.*)?$");

    private final Dispatcher api;
    private final Supplier<SimKubelet> kubelet;
    private final DockerCli docker;
    private final ExecutorService closer = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "kubesim-watch-close");
        t.setDaemon(true);
        return t;
    });

    KubeletDispatcher(Dispatcher api, Supplier<SimKubelet> kubelet, DockerCli docker) {
        this.api = api;
        this.kubelet = kubelet;
        this.docker = docker;
    }

    @Override
    public MockResponse dispatch(RecordedRequest request) {
        Matcher m = STREAM.matcher(request.getPath());
        if (!m.matches()) {
            MockResponse response = crud(request);
            if (response.getWebSocketListener() != null) {
                response.withWebSocketUpgrade(new OffLoopClose(response.getWebSocketListener(), closer));
            }
            return response;
        }
        String namespace = m.group(1);
        String pod = m.group(2);
        Map<String, List<String>> query = query(m.group(4));
        String container = first(query, "container");
        boolean stdin = "true".equals(first(query, "stdin"));
        SimKubelet.Target target = kubelet.get().target(namespace, pod, container);
        if (target.error() != null) {
            return target.error();
        }
        if (m.group(3).equals("exec")) {
            List<String> argv = query.getOrDefault("command", List.of());
            if (argv.isEmpty()) {
                return Statuses.error(400, "BadRequest", "you must specify at least 1 command");
            }
            return new MockResponse().withWebSocketUpgrade(new ChannelStream("exec in " + namespace + "/" + pod,
                    () -> docker.exec(target.containerId(), argv, stdin), stdin));
        }
        return new MockResponse().withWebSocketUpgrade(new ChannelStream("attach to " + namespace + "/" + pod,
                () -> docker.attach(target.containerId(), stdin), stdin));
    }

    /**
     * fabric8 8.0.0's CRUD dispatcher tells every watch of an event while it handles the request; a watch whose client
     * just closed (its close runs off the loop, see {@link OffLoopClose}) has shut its sender down but is still
     * listed, and the request dies with RejectedExecutionException after the store changed, so its client waits for
     * an answer that never comes. A DELETE is then answered by asking again (the object is gone: 404, which the
     * client takes as deleted); other writes fail with a 500 at once rather than a 30 s client timeout.
     */
    private MockResponse crud(RecordedRequest request) {
        try {
            return api.dispatch(request);
        } catch (RejectedExecutionException e) {
            if ("DELETE".equals(request.getMethod())) {
                return api.dispatch(request);
            }
            return Statuses.error(500, "InternalError", "a closing watch refused the event: retry");
        }
    }

    static Map<String, List<String>> query(String q) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        if (q == null || q.length() <= 1) {
            return out;
        }
        for (String pair : q.substring(1).split("&")) {
            int eq = pair.indexOf('=');
            String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            out.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
        }
        return out;
    }

    private static String first(Map<String, List<String>> query, String key) {
        List<String> v = query.get(key);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    @Override
    public void shutdown() {
        api.shutdown();
        closer.shutdown();
    }
}
