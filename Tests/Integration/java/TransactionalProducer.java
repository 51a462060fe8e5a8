// A transactional Java producer (decision 0004): commits records of TOPIC with the offset 42 of INPUT partition 0
// for group GROUP (sendOffsetsToTransaction), aborts a transaction, commits another. A read_committed consumer
// and a read_uncommitted one then read TOPIC partition 0 from the start; the group's committed offset is read
// back. Prints what came back, for test_java_client.py to check.
//
//   java -cp kafka-clients.jar:slf4j-api.jar TransactionalProducer.java BOOTSTRAP TOPIC INPUT GROUP

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class TransactionalProducer {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1], input = args[2], group = args[3];
        Properties producerSettings = new Properties();
        producerSettings.setProperty("bootstrap.servers", bootstrap);
        producerSettings.setProperty("transactional.id", "java-transactional");
        producerSettings.setProperty("transaction.timeout.ms", "30000");
        try (KafkaProducer<String, String> producer =
                 new KafkaProducer<>(producerSettings, new StringSerializer(), new StringSerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < 10; i++) producer.send(new ProducerRecord<>(topic, 0, null, "committed-" + i));
            producer.sendOffsetsToTransaction(
                Map.of(new TopicPartition(input, 0), new OffsetAndMetadata(42)), new ConsumerGroupMetadata(group));
            producer.commitTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 5; i++) producer.send(new ProducerRecord<>(topic, 0, null, "aborted-" + i));
            producer.flush();
            producer.abortTransaction();
            producer.beginTransaction();
            for (int i = 0; i < 3; i++) producer.send(new ProducerRecord<>(topic, 0, null, "last-" + i));
            producer.commitTransaction();
        }
        List<String> committed = read(bootstrap, topic, "read_committed");
        List<String> uncommitted = read(bootstrap, topic, "read_uncommitted");
        Properties groupSettings = new Properties();
        groupSettings.setProperty("bootstrap.servers", bootstrap);
        groupSettings.setProperty("group.id", group);
        groupSettings.setProperty("isolation.level", "read_committed");
        long groupOffset;
        try (KafkaConsumer<String, String> consumer =
                 new KafkaConsumer<>(groupSettings, new StringDeserializer(), new StringDeserializer())) {
            TopicPartition partition = new TopicPartition(input, 0);
            OffsetAndMetadata offset = consumer.committed(Set.of(partition), Duration.ofSeconds(30)).get(partition);
            groupOffset = offset == null ? -1 : offset.offset();
        }
        long abortedSeen = committed.stream().filter(value -> value.startsWith("aborted-")).count();
        System.out.println("{\"committed\":" + committed.size() + ",\"aborted_seen\":" + abortedSeen
            + ",\"uncommitted\":" + uncommitted.size() + ",\"last\":\"" + committed.get(committed.size() - 1)
            + "\",\"group_offset\":" + groupOffset + "}");
    }

    /// Every value of partition 0 up to the end a reader of that isolation level sees (for read_committed, the
    /// last stable offset).
    static List<String> read(String bootstrap, String topic, String isolation) {
        Properties settings = new Properties();
        settings.setProperty("bootstrap.servers", bootstrap);
        settings.setProperty("enable.auto.commit", "false");
        settings.setProperty("isolation.level", isolation);
        List<String> values = new ArrayList<>();
        TopicPartition partition = new TopicPartition(topic, 0);
        try (KafkaConsumer<String, String> consumer =
                 new KafkaConsumer<>(settings, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    values.add(record.value());
                }
            }
        }
        return values;
    }
}
