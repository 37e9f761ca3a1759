package dev.floe.peft;

/**
 * Files written by past versions that must still load. Regenerate nothing here: a golden file is
 * the record of what an earlier Floe wrote.
 */
final class GoldenFiles {

    private GoldenFiles() {}

    /**
     * floe-peft/1, written by the first PEFT version: LoRA "golden", rank 1, alpha 2, target
     * encoder/out of {@link Fixtures#graph(long)} with seed 1; A[i] = (i - 8) / 16 (shape 1×16),
     * B[i] = (i + 1) / 8 (shape 8×1). Its base hash also pins the seeded initial values of that
     * graph: if it stops matching, parameter initialisation changed for a given seed and path.
     */
    static final String LORA_V1_BASE64 =
            "6AEAAAAAAAB7Il9fbWV0YWRhdGFfXyI6eyJmbG9lLmZvcm1hdCI6ImZsb2UtcGVmdC8xIiwicGVmdC5hbHBoYSI6IjIuMCIs" +
            "InBlZnQuYmFzZV9jb21wb25lbnRzIjoiZW5jb2RlciIsInBlZnQuYmFzZV9oYXNoIjoic2hhMjU2Ojg3NTFjZTdkMjdiMzI0" +
            "NmI3Y2QzMzkzZTkyMmU2NDgxYTEzNGY2ZDJlZWE0Y2E2ZTMzNjNmZDJiNDhmMjVkYWUiLCJwZWZ0LmRyb3BvdXQiOiIwLjAi" +
            "LCJwZWZ0LmtpbmQiOiJsb3JhIiwicGVmdC5sYXllcnMiOiJlbmNvZGVyL291dCIsInBlZnQubmFtZSI6ImdvbGRlbiIsInBl" +
            "ZnQucmFuayI6IjEiLCJwZWZ0LnRhcmdldCI6ImVuY29kZXIvb3V0In0sImVuY29kZXIvb3V0L2xvcmEvZ29sZGVuL0EiOnsi" +
            "ZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzEsMTZdLCJkYXRhX29mZnNldHMiOlswLDY0XX0sImVuY29kZXIvb3V0L2xvcmEvZ29s" +
            "ZGVuL0IiOnsiZHR5cGUiOiJGMzIiLCJzaGFwZSI6WzgsMV0sImRhdGFfb2Zmc2V0cyI6WzY0LDk2XX19ICAgIAAAAL8AAOC+" +
            "AADAvgAAoL4AAIC+AABAvgAAAL4AAIC9AAAAAAAAgD0AAAA+AABAPgAAgD4AAKA+AADAPgAA4D4AAAA+AACAPgAAwD4AAAA/" +
            "AAAgPwAAQD8AAGA/AACAPw==";
}
