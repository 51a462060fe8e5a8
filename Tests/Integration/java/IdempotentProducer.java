// An idempotent Java producer (acks=all, five requests in flight) writes COUNT keyed records to partition 0 of
// TOPIC; a consumer then reads the partition from the start. Prints what came back, for
// test_java_client.py to check: every record once, in the order sent, with its key and value.
//
//   java -cp kafka-clients.jar:slf4j-api.jar IdempotentProducer.java BOOTSTRAP TOPIC COUNT

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Future;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

public class IdempotentProducer {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1];
        int count = Integer.parseInt(args[2]);
        Properties producerSettings = new Properties();
        producerSettings.setProperty("bootstrap.servers", bootstrap);
        producerSettings.setProperty("enable.idempotence", "true");
        producerSettings.setProperty("acks", "all");
        producerSettings.setProperty("max.in.flight.requests.per.connection", "5");
        producerSettings.setProperty("linger.ms", "2");
        producerSettings.setProperty("batch.size", "4096");  // many small batches: sequences advance often
        List<Long> offsets = new ArrayList<>();
        try (KafkaProducer<String, String> producer =
                 new KafkaProducer<>(producerSettings, new StringSerializer(), new StringSerializer())) {
            List<Future<RecordMetadata>> sent = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                sent.add(producer.send(new ProducerRecord<>(topic, 0, "key-" + i, "value-" + i)));
            }
            producer.flush();
            for (Future<RecordMetadata> future : sent) offsets.add(future.get().offset());
        }
        boolean offsetsIncrease = true;
        for (int i = 1; i < offsets.size(); i++) offsetsIncrease &= offsets.get(i) > offsets.get(i - 1);

        Properties consumerSettings = new Properties();
        consumerSettings.setProperty("bootstrap.servers", bootstrap);
        consumerSettings.setProperty("enable.auto.commit", "false");
        TopicPartition partition = new TopicPartition(topic, 0);
        int received = 0, inOrder = 0;
        try (KafkaConsumer<String, String> consumer =
                 new KafkaConsumer<>(consumerSettings, new StringDeserializer(), new StringDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (received < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
                    if (record.key().equals("key-" + received) && record.value().equals("value-" + received)) inOrder++;
                    received++;
                }
            }
            received += consumer.poll(Duration.ofMillis(500)).count();  // nothing more may follow
        }
        System.out.println("{\"produced\":" + offsets.size() + ",\"offsets_increase\":" + offsetsIncrease
            + ",\"received\":" + received + ",\"in_order\":" + inOrder + "}");
    }
}
