package dev.opg.core.model;

import ai.djl.Model;
import ai.djl.nn.Block;
import ai.djl.nn.BlockFactory;
import java.nio.file.Path;
import java.util.Map;

/** Stands for code an attacker plants in a model's directory: it only records that DJL ran it. */
public final class PlantedBlockFactory implements BlockFactory {
    private static final long serialVersionUID = 1L;
    static volatile boolean ran;

    @Override
    public Block newBlock(Model model, Path modelPath, Map<String, ?> arguments) {
        ran = true;
        return null;
    }
}
