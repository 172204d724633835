package dev.lathe.train.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lathe.models.tokenizer.ByteLevelBpeTokenizer;
import dev.lathe.train.data.ChatMessage;
import dev.lathe.train.data.ChatTokenizer;
import dev.lathe.train.data.ConversationRows;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code ./lathe tokenize}: the token ids of the {@code "text"} of every JSONL line, with a model directory's
 * tokenizer (tokenizer.json, or vocab.json + merges.txt), exactly the text's tokens: no BOS or EOS. A
 * {@code "messages"} line is rendered by the model's chat template (ChatML when it ships none) and printed with
 * its text and the assistant-token mask SFT trains on.
 */
public final class TokenizeCommand implements Command {
    @Override
    public String name() {
        return "tokenize";
    }

    @Override
    public String summary() {
        return "token ids of each {\"text\"} or {\"messages\"} line of a JSONL file with a model's tokenizer";
    }

    @Override
    public String usage() {
        return """
                usage: ./lathe tokenize --model DIR --data FILE.jsonl
                Loads DIR/tokenizer.json (or DIR/vocab.json + DIR/merges.txt: GPT-2's byte-level BPE) and prints,
                for every line {"text": ...} of FILE.jsonl, one line {"ids":[...]}: the text's tokens, no BOS or
                EOS added. A line {"messages": [{"role", "content"}, ...]} is rendered by the model's own chat
                template (tokenizer_config.json's chat_template; ChatML when there is none) and printed as
                {"ids":[...],"text":rendered,"assistant_mask":[0|1 per token]}, 1 on the assistant tokens SFT trains
                on. Blank lines are skipped. A count of lines and tokens goes to stderr.""";
    }

    @Override
    public int run(Args args, PrintStream out, PrintStream err) throws IOException {
        String model = args.string("model", null), data = args.string("data", null);
        args.rejectUnknown();
        if (model == null || data == null) throw new UsageException("--model DIR and --data FILE.jsonl are required");
        ByteLevelBpeTokenizer tokenizer = ModelDirs.tokenizer(Path.of(model));
        ChatTokenizer chat = ChatTokenizer.forTokenizer(tokenizer);
        long[] tokens = {0};
        int lines = JsonlFile.forEach(Path.of(data), row -> {
            if (row.json().has("messages")) {
                List<ChatMessage> messages = ConversationRows.messages(row, "messages");
                ChatTokenizer.Tokens t = chat.conversation(messages, 0);
                StringBuilder sb = ids(t.ids()).append(",\"text\":").append(JSON.writeValueAsString(chat.render(messages)))
                        .append(",\"assistant_mask\":[");
                for (int i = 0; i < t.trained().length; i++) sb.append(i == 0 ? "" : ",").append(t.trained()[i] ? 1 : 0);
                out.println(sb.append("]}"));
                tokens[0] += t.ids().length;
                return;
            }
            int[] ids = tokenizer.encode(row.string("text"));
            out.println(ids(ids).append("}"));
            tokens[0] += ids.length;
        });
        err.printf("tokenize: %d lines, %d tokens%n", lines, tokens[0]);
        return 0;
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code {"ids":[...]}} without its closing brace. */
    private static StringBuilder ids(int[] ids) {
        StringBuilder sb = new StringBuilder(64 + 9 * ids.length).append("{\"ids\":[");
        for (int i = 0; i < ids.length; i++) sb.append(i == 0 ? "" : ",").append(ids[i]);
        return sb.append("]");
    }
}
