// A benchmark client on Apache Kafka's Java client (kafka-clients), the counterpart of bench_client.c:
// produce or consume fixed-size records on partition 0 of a topic and print one JSON line with the rate.
// Run with Java's single-file launch, kafka-clients and slf4j-api on the class path (tls.py does this):
//
//   java -cp kafka-clients.jar:slf4j-api.jar JavaBench.java produce -b HOST:PORT -t TOPIC -n COUNT -s SIZE [-X k=v]...
//   java -cp ...                                   JavaBench.java consume -b HOST:PORT -t TOPIC -n COUNT [-X k=v]...
//
// Settings as bench_client.c uses librdkafka's: acks=all, 1 MB batches, linger 5 ms; `-X` adds or overrides any
// client property (the security settings, for instance).

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class JavaBench {
    public static void main(String[] args) throws Exception {
        String mode = args[0];
        String bootstrap = null, topic = null;
        long count = 0;
        int size = 1024;
        long timeoutMs = 120_000;
        Properties extra = new Properties();
        for (int i = 1; i < args.length; i += 2) {
            switch (args[i]) {
                case "-b" -> bootstrap = args[i + 1];
                case "-t" -> topic = args[i + 1];
                case "-n" -> count = Long.parseLong(args[i + 1]);
                case "-s" -> size = Integer.parseInt(args[i + 1]);
                case "-T" -> timeoutMs = (long) (Double.parseDouble(args[i + 1]) * 1000);
                case "-X" -> {
                    String[] keyValue = args[i + 1].split("=", 2);
                    extra.setProperty(keyValue[0], keyValue[1]);
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        Properties properties = new Properties();
        properties.setProperty("bootstrap.servers", bootstrap);
        properties.setProperty("client.id", "sluice-java-bench");
        String json = switch (mode) {
            case "produce" -> produce(properties, extra, topic, count, size, timeoutMs);
            case "consume" -> consume(properties, extra, topic, count, timeoutMs);
            default -> throw new IllegalArgumentException("mode is produce or consume");
        };
        System.out.println(json);
        System.exit(0);
    }

    static String produce(Properties properties, Properties extra, String topic, long count, int size, long timeoutMs)
            throws Exception {
        properties.setProperty("acks", "all");
        properties.setProperty("batch.size", "1000000");
        properties.setProperty("linger.ms", "5");
        properties.setProperty("max.request.size", String.valueOf(4 * 1048576));
        properties.setProperty("buffer.memory", String.valueOf(256L * 1048576));
        properties.putAll(extra);
        byte[] payload = new byte[size];
        for (int i = 0; i < size; i++) payload[i] = (byte) (i * 131 + 7);
        AtomicLong delivered = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicReference<String> firstError = new AtomicReference<>("");
        try (KafkaProducer<byte[], byte[]> producer =
                 new KafkaProducer<>(properties, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.partitionsFor(topic);  // connection and metadata warm, outside the timed part
            CountDownLatch done = new CountDownLatch(1);
            long cpuStart = cpuNanos();
            long start = System.nanoTime();
            for (long i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(topic, 0, null, payload), (metadata, error) -> {
                    if (error == null) delivered.incrementAndGet();
                    else if (failed.incrementAndGet() == 1) firstError.set(error.toString());
                    if (delivered.get() + failed.get() == count) done.countDown();
                });
            }
            producer.flush();
            boolean complete = done.await(timeoutMs, TimeUnit.MILLISECONDS);
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (cpuNanos() - cpuStart) / 1e9;
            boolean ok = complete && failed.get() == 0;
            return result("produce", ok, seconds, cpuSeconds, delivered.get() * (long) size,
                ",\"delivered\":" + delivered.get() + ",\"failed\":" + failed.get()
                    + ",\"first_delivery_error\":\"" + escape(firstError.get()) + "\"");
        }
    }

    static String consume(Properties properties, Properties extra, String topic, long count, long timeoutMs) {
        properties.setProperty("enable.auto.commit", "false");
        properties.setProperty("auto.offset.reset", "earliest");
        properties.putAll(extra);
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<byte[], byte[]> consumer =
                 new KafkaConsumer<>(properties, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            consumer.position(partition);  // connection and metadata warm, outside the timed part
            long received = 0, bytes = 0;
            long cpuStart = cpuNanos();
            long start = System.nanoTime();
            long deadline = start + timeoutMs * 1_000_000;
            while (received < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    received++;
                    bytes += record.value() == null ? 0 : record.value().length;
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double cpuSeconds = (cpuNanos() - cpuStart) / 1e9;
            return result("consume", received >= count, seconds, cpuSeconds, bytes, ",\"received\":" + received);
        }
    }

    static String result(String mode, boolean ok, double seconds, double cpuSeconds, long bytes, String fields) {
        return "{\"mode\":\"" + mode + "\",\"ok\":" + ok + ",\"seconds\":" + seconds
            + ",\"mb_per_s\":" + (bytes / 1e6 / seconds) + ",\"client_cpu_s\":" + cpuSeconds
            + ",\"client\":\"kafka-clients " + org.apache.kafka.common.utils.AppInfoParser.getVersion() + "\"" + fields + "}";
    }

    /** CPU time of the whole JVM (client threads, JIT and GC included), as bench_client.c reports its own. */
    static long cpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", " ");
    }
}
