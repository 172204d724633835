package dev.lathe.models.io;

import java.io.IOException;
import java.nio.file.Path;

/** A safetensors file that breaks the format: the message names the file and, where one is at fault, the tensor. */
public final class SafetensorsException extends IOException {
    SafetensorsException(Path file, String tensor, String problem) {
        super(file + (tensor == null ? "" : ": tensor '" + tensor + "'") + ": " + problem);
    }
}
