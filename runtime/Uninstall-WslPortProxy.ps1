<#
.SYNOPSIS
    Removes the WSL port proxy from this server: the task, the rules it created, the installed files.
.DESCRIPTION
    Run it elevated. It imports the WslPortProxy module beside it and runs Uninstall-WslPortProxy
    with WslPortProxy.Settings.psd1: unregisters the task, removes exactly the portproxy and
    firewall rules this tool created (a rule it took over is set back as it was; others stay),
    and deletes the install folder except logs\ (-Purge deletes the logs and the event source).
    Details: Import-Module .\WslPortProxy; Get-Help Uninstall-WslPortProxy -Full.
.PARAMETER Purge
    Also deletes the logs and the event source WslPortProxy.
.EXAMPLE
    .\Uninstall-WslPortProxy.ps1 -Purge
.NOTES
    Exit codes: 0 removed; 1 unexpected; 2 not elevated; 5 some rules could not be removed (the
    task is already unregistered: run it again); 8 the reconcile lock cannot be had (another run
    holds it too long, or its folder cannot be trusted; nothing was changed); 9 the running task
    did not stop within 30 seconds; 10 the settings file is missing or invalid; 14 a program did
    not finish in time and was ended.
#>
[CmdletBinding(SupportsShouldProcess)]
param(
    [switch] $Purge
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$exitCode = 0
$saved, $env:PSModulePath = $env:PSModulePath, [IO.Path]::Combine($PSHOME, 'Modules')   # modules from System32 only
try {
    $module = Join-Path -Path (Join-Path -Path $PSScriptRoot -ChildPath 'WslPortProxy') -ChildPath 'WslPortProxy.psd1'
    Import-Module -Name $module -Verbose:$false
    $settings = Join-Path -Path $PSScriptRoot -ChildPath 'WslPortProxy.Settings.psd1'
    Uninstall-WslPortProxy -Settings $settings -Purge:$Purge -WhatIf:$WhatIfPreference `
        -Verbose:($VerbosePreference -eq 'Continue')
}
catch {
    $exitCode = 1
    if ($_.Exception.Data.Contains('WslPortProxyExitCode')) {
        $exitCode = [int] $_.Exception.Data['WslPortProxyExitCode']
    }
    $message = "Uninstall-WslPortProxy.ps1 failed (exit code $exitCode): $($_.Exception.Message)"
    Write-Error -Message $message -ErrorAction Continue
}
finally { $env:PSModulePath = $saved }
exit $exitCode
