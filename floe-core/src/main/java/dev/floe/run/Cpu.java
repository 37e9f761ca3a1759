package dev.floe.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** The CPU a run used, from Linux's {@code /proc/cpuinfo}: model and the SIMD flags that change kernels. */
final class Cpu {

    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    /** Flags that select different libtorch/oneDNN kernels, and so can change results or speed. */
    private static final List<String> SIMD = List.of("sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c", "avx512f",
            "avx512bw", "avx512vl", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16");

    private Cpu() {}

    /** {@code cpu} (model name) and {@code cpu_flags} (the SIMD flags present, space-separated); "unknown" off Linux. */
    static Map<String, String> describe() {
        String model = "unknown";
        String flags = "unknown";
        try {
            for (String line : Files.readAllLines(CPUINFO)) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String key = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (key.equals("model name") && model.equals("unknown")) {
                    model = value;
                } else if (key.equals("flags") && flags.equals("unknown")) {
                    Set<String> present = Set.of(value.split("\\s+"));
                    List<String> kept = new ArrayList<>();
                    for (String f : SIMD) {
                        if (present.contains(f)) {
                            kept.add(f);
                        }
                    }
                    flags = String.join(" ", kept);
                }
            }
        } catch (IOException | RuntimeException e) {
            // provenance must not stop a run: keep "unknown"
        }
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cpu", model);
        m.put("cpu_flags", flags);
        return m;
    }
}
