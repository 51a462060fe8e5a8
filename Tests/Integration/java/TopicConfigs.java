// Apache Kafka's AdminClient against topic configs: creates a changelog topic as Kafka Streams, Quix and Faust do
// (cleanup.policy=compact and friends), reads back what CreateTopics v5+ returns (which threw a
// NullPointerException when the configs were missing), alters the configs incrementally and with the classic
// AlterConfigs, describes them with synonyms and documentation, and checks refusals. Prints one JSON object for
// test_topic_configs.py.
//
//   java -cp kafka-clients.jar:slf4j-api.jar TopicConfigs.java BOOTSTRAP TOPIC

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.CreateTopicsOptions;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.DescribeConfigsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.ConfigResource;

public class TopicConfigs {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0], topic = args[1];
        Properties settings = new Properties();
        settings.setProperty("bootstrap.servers", bootstrap);
        StringBuilder json = new StringBuilder("{");
        try (Admin admin = Admin.create(settings)) {
            Map<String, String> changelog = Map.of(
                "cleanup.policy", "compact", "compression.type", "producer", "min.insync.replicas", "1",
                "max.message.bytes", "2097152", "message.timestamp.type", "CreateTime");
            CreateTopicsResult created = admin.createTopics(List.of(new NewTopic(topic, 3, (short) 1).configs(changelog)));
            created.all().get();
            Config createdConfig = created.config(topic).get();
            field(json, "partitions", created.numPartitions(topic).get());
            field(json, "replication_factor", created.replicationFactor(topic).get());
            field(json, "created_cleanup_policy", createdConfig.get("cleanup.policy").value());
            field(json, "created_cleanup_policy_source", createdConfig.get("cleanup.policy").source().name());

            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            admin.incrementalAlterConfigs(Map.of(resource, List.of(
                new AlterConfigOp(new ConfigEntry("retention.ms", "3600000"), AlterConfigOp.OpType.SET),
                new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.APPEND)))).all().get();
            DescribeConfigsOptions options = new DescribeConfigsOptions().includeSynonyms(true).includeDocumentation(true);
            Config described = admin.describeConfigs(List.of(resource), options).all().get().get(resource);
            ConfigEntry retention = described.get("retention.ms");
            field(json, "retention_ms", retention.value());
            field(json, "retention_ms_source", retention.source().name());
            field(json, "retention_ms_synonyms", retention.synonyms().size());
            field(json, "retention_ms_type", retention.type().name());
            field(json, "retention_ms_documented", retention.documentation() != null);
            field(json, "cleanup_policy", described.get("cleanup.policy").value());

            // The classic AlterConfigs replaces the whole set: what is left out returns to the default.
            alterWholeSet(admin, resource, List.of(new ConfigEntry("segment.ms", "3600000")));
            Config replaced = admin.describeConfigs(List.of(resource)).all().get().get(resource);
            field(json, "segment_ms_after_alter", replaced.get("segment.ms").value());
            field(json, "cleanup_policy_after_alter", replaced.get("cleanup.policy").value());

            field(json, "gzip_refused", failure(() -> admin.createTopics(
                List.of(new NewTopic(topic + "-gzip", 1, (short) 1).configs(Map.of("compression.type", "gzip")))).all().get()));
            admin.createTopics(List.of(new NewTopic(topic + "-checked", 1, (short) 1).configs(changelog)),
                new CreateTopicsOptions().validateOnly(true)).all().get();
            field(json, "validate_only_created", admin.listTopics().names().get().contains(topic + "-checked"));

            ConfigResource broker = new ConfigResource(ConfigResource.Type.BROKER, "1");
            Config brokerConfig = admin.describeConfigs(List.of(broker)).all().get().get(broker);
            field(json, "broker_log_retention_ms", brokerConfig.get("log.retention.ms").value());
        }
        json.setLength(json.length() - 2);
        System.out.println(json.append("}"));
    }

    @SuppressWarnings("deprecation")
    private static void alterWholeSet(Admin admin, ConfigResource resource, Collection<ConfigEntry> entries)
        throws Exception {
        admin.alterConfigs(Map.of(resource, new Config(entries))).all().get();
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
