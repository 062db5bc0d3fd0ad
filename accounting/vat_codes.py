"""The standard Norwegian VAT codes (Skatteetaten's SAF-T standard tax codes) with their rates.

Data, not logic: every new client starts with these (services.client_create), so its account
plan can be imported at once. Names are the codes' Norwegian descriptions, shortened; the rate is
the percentage used on invoice lines (11.11 % is the reduced rate for raw fish).
"""

from decimal import Decimal

#: (code, name, rate %)
STANDARD_VAT_CODES: list[tuple[str, str, Decimal]] = [
    (code, name, Decimal(rate))
    for code, name, rate in [
        ("0", "Ingen mva-behandling (anskaffelser)", "0"),
        ("1", "Fradrag for inngående mva, alminnelig sats", "25"),
        ("11", "Fradrag for inngående mva, redusert sats, næringsmidler", "15"),
        ("12", "Fradrag for inngående mva, redusert sats, råfisk", "11.11"),
        ("13", "Fradrag for inngående mva, redusert sats", "12"),
        ("14", "Fradrag for mva betalt ved innførsel, alminnelig sats", "25"),
        ("15", "Fradrag for mva betalt ved innførsel, redusert sats, næringsmidler", "15"),
        ("20", "Grunnlag ved innførsel av varer, ingen mva-behandling", "0"),
        ("21", "Grunnlag ved innførsel av varer, alminnelig sats", "25"),
        ("22", "Grunnlag ved innførsel av varer, redusert sats, næringsmidler", "15"),
        ("3", "Utgående mva, alminnelig sats", "25"),
        ("31", "Utgående mva, redusert sats, næringsmidler", "15"),
        ("32", "Utgående mva, redusert sats, råfisk", "11.11"),
        ("33", "Utgående mva, redusert sats", "12"),
        ("5", "Innenlands omsetning og uttak fritatt for mva (nullsats)", "0"),
        ("51", "Innenlands omsetning med omvendt avgiftsplikt", "0"),
        ("52", "Utførsel av varer og tjenester fritatt for mva (nullsats)", "0"),
        ("6", "Omsetning utenfor merverdiavgiftsloven", "0"),
        ("7", "Ingen mva-behandling (inntekter)", "0"),
        ("81", "Innførsel av varer, med fradrag for innførselsmva, alminnelig sats", "25"),
        ("82", "Innførsel av varer, uten fradrag for innførselsmva, alminnelig sats", "25"),
        ("83", "Innførsel av varer, med fradrag for innførselsmva, redusert sats", "15"),
        ("84", "Innførsel av varer, uten fradrag for innførselsmva, redusert sats", "15"),
        ("85", "Innførsel av varer fritatt for mva (nullsats)", "0"),
        ("86", "Tjenester kjøpt fra utlandet, med fradrag, alminnelig sats", "25"),
        ("87", "Tjenester kjøpt fra utlandet, uten fradrag, alminnelig sats", "25"),
        ("88", "Tjenester kjøpt fra utlandet, med fradrag, redusert sats", "12"),
        ("89", "Tjenester kjøpt fra utlandet, uten fradrag, redusert sats", "12"),
        ("91", "Kjøp av klimakvoter og gull innenlands, med fradrag", "25"),
        ("92", "Kjøp av klimakvoter og gull innenlands, uten fradrag", "25"),
    ]
]
