// Apache Kafka's AdminClient (3.9) against the admin surface of issue #12: grows a topic and is refused a shrink
// (CreatePartitions), deletes records (DeleteRecords), lists the max-timestamp offset (ListOffsets v7+), describes
// log dirs and producers, deletes a group's committed offsets (OffsetDelete), and reads the topic's authorized
// operations (Metadata). An idempotent producer writes the records first. Prints one JSON object for
// test_admin_surface.py.
//
//   java -cp kafka-clients.jar:slf4j-api.jar AdminSurface.java BOOTSTRAP TOPIC

import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeTopicsOptions;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.NewPartitions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ProducerState;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class AdminSurface {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1];
        Properties settings = new Properties();
        settings.setProperty("bootstrap.servers", bootstrap);
        StringBuilder json = new StringBuilder("{");
        TopicPartition first = new TopicPartition(topic, 0);
        try (Admin admin = Admin.create(settings)) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
            admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(3))).all().get();
            field(json, "partitions", admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size());
            field(json, "shrink_refused", failure(() -> admin.createPartitions(Map.of(topic, NewPartitions.increaseTo(2))).all().get()));

            Properties producerSettings = new Properties();
            producerSettings.putAll(settings);
            producerSettings.setProperty("enable.idempotence", "true");
            try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(producerSettings, new ByteArraySerializer(), new ByteArraySerializer())) {
                long[] timestamps = {1_700_000_001_000L, 1_700_000_009_000L, 1_700_000_003_000L, 1_700_000_002_000L};
                for (long timestamp : timestamps) {
                    producer.send(new ProducerRecord<>(topic, 0, timestamp, null, new byte[] {1})).get();
                }
            }
            var maxTimestamp = admin.listOffsets(Map.of(first, OffsetSpec.maxTimestamp())).partitionResult(first).get();
            field(json, "max_timestamp_offset", maxTimestamp.offset());
            field(json, "max_timestamp", maxTimestamp.timestamp());

            var deleted = admin.deleteRecords(Map.of(first, RecordsToDelete.beforeOffset(2))).lowWatermarks().get(first).get();
            field(json, "low_watermark", deleted.lowWatermark());
            field(json, "earliest", admin.listOffsets(Map.of(first, OffsetSpec.earliest())).partitionResult(first).get().offset());

            Map<Integer, Map<String, LogDirDescription>> dirs = admin.describeLogDirs(List.of(1)).allDescriptions().get();
            LogDirDescription dir = dirs.get(1).values().iterator().next();
            field(json, "log_dirs", dirs.get(1).size());
            field(json, "partition_size_positive", dir.replicaInfos().get(first).size() > 0);
            field(json, "usable_bytes_known", dir.usableBytes().isPresent());

            List<ProducerState> producers = admin.describeProducers(List.of(first)).partitionResult(first).get().activeProducers();
            field(json, "producers", producers.size());
            field(json, "producer_last_sequence", producers.get(0).lastSequence());
            field(json, "producer_last_timestamp", producers.get(0).lastTimestamp());

            String group = topic + "-group";
            admin.alterConsumerGroupOffsets(group, Map.of(first, new OffsetAndMetadata(3),
                new TopicPartition(topic, 1), new OffsetAndMetadata(0))).all().get();
            admin.deleteConsumerGroupOffsets(group, Set.of(first)).all().get();
            Map<TopicPartition, OffsetAndMetadata> left = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            field(json, "offsets_left", left.keySet().stream().map(TopicPartition::partition).sorted().toList().toString());
            field(json, "unknown_topic_commit_refused", failure(() -> admin.alterConsumerGroupOffsets(group,
                Map.of(new TopicPartition(topic + "-missing", 0), new OffsetAndMetadata(1))).all().get()));

            var described = admin.describeTopics(List.of(topic), new DescribeTopicsOptions().includeAuthorizedOperations(true))
                .allTopicNames().get().get(topic);
            field(json, "topic_operations", described.authorizedOperations().size());
        }
        json.setLength(json.length() - 2);
        System.out.println(json.append("}"));
    }

    interface Call {
        void run() throws Exception;
    }

    /// The simple name of the exception `call` fails with, or "" when it succeeds.
    private static String failure(Call call) throws Exception {
        try {
            call.run();
            return "";
        } catch (ExecutionException error) {
            return error.getCause().getClass().getSimpleName();
        }
    }

    private static void field(StringBuilder json, String name, Object value) {
        String text = value instanceof String ? "\"" + ((String) value).replace("\"", "'") + "\"" : String.valueOf(value);
        json.append("\"").append(name).append("\": ").append(text).append(", ");
    }
}
