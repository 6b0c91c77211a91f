<#
    Runs an entry script the way Windows runs it, on the simulated Windows of the calling test.

    Usage (what Invoke-SimEntryScript does):
        pwsh -NoProfile -NonInteractive -ExecutionPolicy Bypass -File Start-SimEntry.ps1 SCRIPT [ARGUMENTS...]

    `powershell.exe -File SCRIPT ARGS` (the scheduled task, an admin in cmd, a deployment tool) runs
    SCRIPT dot-sourced in the new session's global scope (about_PowerShell_exe, about_Pwsh: -File),
    with the words of ARGS bound as its parameters. This script is itself started with -File, so it
    runs in the global scope; it loads the stand-ins of SimulatedWindows.ps1, connects to the
    simulation whose state folder the environment names (WSLPP_SIM_STATE), and dot-sources SCRIPT
    with the same words: SCRIPT runs in the global scope as under -File, its preference variables
    ($WhatIfPreference from -WhatIf, ...) are global ones. Splatting the array of words keeps '-Name'
    words as parameter names, as -File does. An `exit N` in a dot-sourced script ends that script
    only and sets $LASTEXITCODE, which this script then exits with: the process's exit code is N.
#>
. (Join-Path $PSScriptRoot 'SimulatedWindows.ps1')
Connect-SimulatedWindows
$WslppSimEntryWords = @($args | Select-Object -Skip 1)
$global:LASTEXITCODE = 0
try { . $args[0] @WslppSimEntryWords }
catch {   # what makes -File end with exit code 1: a terminating error, e.g. a parameter that does not bind
    Write-Error -ErrorRecord $_ -ErrorAction Continue
    exit 1
}
exit $LASTEXITCODE
