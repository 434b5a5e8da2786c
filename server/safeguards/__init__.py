"""Wage-protection records (保障农民工工资支付条例 Art. 24, 26, 28, 32), labour contracts and the
wage account statement (专户流水) with its findings."""
