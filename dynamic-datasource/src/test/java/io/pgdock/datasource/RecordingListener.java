package io.pgdock.datasource;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

/** Keeps every event, for assertions. */
final class RecordingListener implements FactoryListener {
    private final List<FactoryEvent> events = new CopyOnWriteArrayList<>();

    @Override
    public void onEvent(FactoryEvent event) {
        events.add(event);
    }

    List<FactoryEvent> events() {
        return List.copyOf(events);
    }

    List<FactoryEvent.Type> types() {
        return events.stream().map(FactoryEvent::type).collect(Collectors.toList());
    }

    long count(FactoryEvent.Type type) {
        return events.stream().filter(e -> e.type() == type).count();
    }
}
