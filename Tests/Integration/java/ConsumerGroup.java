// Three Java consumers in one classic-protocol group (assignor given: range, roundrobin or cooperative-sticky)
// read a topic of PARTITIONS partitions while its COUNT records are produced; once half of them are read, the
// third consumer leaves. Offsets are committed synchronously whenever partitions are revoked and at the end,
// so a rebalance repeats nothing. Prints how many distinct records came back, how many twice, and how many
// partitions each consumer held, for test_java_client.py.
//
//   java -cp kafka-clients.jar:slf4j-api.jar ConsumerGroup.java BOOTSTRAP TOPIC COUNT ASSIGNOR

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class ConsumerGroup {
    static final Map<String, AtomicInteger> seen = new ConcurrentHashMap<>();
    static final AtomicInteger received = new AtomicInteger();

    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1], assignor = args[3];
        int count = Integer.parseInt(args[2]);
        String strategy = switch (assignor) {
            case "range" -> "org.apache.kafka.clients.consumer.RangeAssignor";
            case "roundrobin" -> "org.apache.kafka.clients.consumer.RoundRobinAssignor";
            case "cooperative-sticky" -> "org.apache.kafka.clients.consumer.CooperativeStickyAssignor";
            default -> throw new IllegalArgumentException(assignor);
        };
        List<Member> members = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Member member = new Member(bootstrap, topic, "java-group-" + assignor, strategy, i);
            members.add(member);
            member.start();
        }
        Properties producerSettings = new Properties();
        producerSettings.setProperty("bootstrap.servers", bootstrap);
        producerSettings.setProperty("linger.ms", "5");
        try (KafkaProducer<String, String> producer =
                 new KafkaProducer<>(producerSettings, new StringSerializer(), new StringSerializer())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i));
                if (i % 500 == 499) Thread.sleep(20);  // spread over a few seconds, so rebalances happen mid-stream
            }
        }
        long deadline = System.nanoTime() + 90_000_000_000L;
        while (received.get() < count / 2 && System.nanoTime() < deadline) Thread.sleep(20);
        members.get(2).stopAndJoin();  // leaves the group: the other two take over its partitions
        while (seen.size() < count && System.nanoTime() < deadline) Thread.sleep(50);
        Thread.sleep(1000);  // anything delivered twice shows up now
        for (Member member : members.subList(0, 2)) member.stopAndJoin();
        long duplicates = seen.values().stream().filter(times -> times.get() > 1).count();
        StringBuilder held = new StringBuilder();
        for (Member member : members) held.append(held.length() == 0 ? "" : ",").append(member.maximumPartitionsHeld);
        StringBuilder errors = new StringBuilder();
        for (Member member : members) if (member.error != null) errors.append(member.error.replace("\"", "'")).append("; ");
        System.out.println("{\"distinct\":" + seen.size() + ",\"duplicates\":" + duplicates
            + ",\"partitions_held\":[" + held + "],\"errors\":\"" + errors + "\"}");
    }

    static final class Member extends Thread {
        final KafkaConsumer<String, String> consumer;
        final String topic;
        final AtomicBoolean stop = new AtomicBoolean();
        final Map<TopicPartition, OffsetAndMetadata> uncommitted = new HashMap<>();
        volatile int maximumPartitionsHeld = 0;
        volatile String error;

        Member(String bootstrap, String topic, String group, String strategy, int index) {
            Properties settings = new Properties();
            settings.setProperty("bootstrap.servers", bootstrap);
            settings.setProperty("group.id", group);
            settings.setProperty("client.id", group + "-" + index);
            settings.setProperty("enable.auto.commit", "false");
            settings.setProperty("auto.offset.reset", "earliest");
            settings.setProperty("partition.assignment.strategy", strategy);
            settings.setProperty("session.timeout.ms", "10000");
            settings.setProperty("heartbeat.interval.ms", "500");
            this.consumer = new KafkaConsumer<>(settings, new StringDeserializer(), new StringDeserializer());
            this.topic = topic;
        }

        @Override
        public void run() {
            try {
                consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                    @Override
                    public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                        commit();
                    }

                    @Override
                    public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                        maximumPartitionsHeld = Math.max(maximumPartitionsHeld, consumer.assignment().size());
                    }
                });
                while (!stop.get()) {
                    for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(100))) {
                        seen.computeIfAbsent(record.value(), value -> new AtomicInteger()).incrementAndGet();
                        received.incrementAndGet();
                        uncommitted.put(new TopicPartition(record.topic(), record.partition()),
                            new OffsetAndMetadata(record.offset() + 1));
                    }
                    commit();
                }
                commit();
            } catch (Exception failure) {
                error = failure.toString();
            } finally {
                consumer.close(Duration.ofSeconds(10));
            }
        }

        void commit() {
            if (uncommitted.isEmpty()) return;
            consumer.commitSync(uncommitted);
            uncommitted.clear();
        }

        void stopAndJoin() throws InterruptedException {
            stop.set(true);
            join(30_000);
        }
    }
}
