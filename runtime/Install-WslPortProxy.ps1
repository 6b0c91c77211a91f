<#
.SYNOPSIS
    Installs or upgrades the WSL port proxy on this server from this bundle folder.
.DESCRIPTION
    Run it elevated, in the bundle folder, on the server it was generated for. It imports the
    WslPortProxy module beside it and runs Install-WslPortProxy with WslPortProxy.Settings.psd1:
    checks the bundle against manifest.json and what this server needs, installs the module,
    scripts and settings into the install folder (writable by Administrators and SYSTEM only),
    registers the scheduled task, starts it and waits for its first reconcile (a logon task whose
    account is not logged on starts at that account's next logon). Running it again upgrades in place.
    Details: Import-Module .\WslPortProxy; Get-Help Install-WslPortProxy -Full.
.PARAMETER Credential
    The task account's credential, for unattended installs of a boot task (else you are asked).
.PARAMETER Password
    The task account's password instead (the account is the settings' RunAs, or you).
.PARAMETER Force
    Installs even when this computer's name is not the one the bundle was generated for.
.PARAMETER Preflight
    Only checks what this server needs (Windows build, WSL package, each port), installs
    nothing, and exits 7 when a check fails. Needs no elevation.
.EXAMPLE
    .\Install-WslPortProxy.ps1
.EXAMPLE
    .\Install-WslPortProxy.ps1 -Credential (Get-Credential 'CORP\svc-podman')
.EXAMPLE
    .\Install-WslPortProxy.ps1 -Preflight
.NOTES
    Exit codes: 0 installed and the first reconcile succeeded, or a logon task whose account is not
    logged on installed (it starts at that account's next logon; -Preflight: every check passed);
    1 unexpected; 2 not elevated; 3 the bundle is for another computer (-Force); 4 installed, but
    the first reconcile failed or did not finish in time; 5 no credential, one for another
    account, a wrong password, or Windows refused to store it; 6 the bundle's files do not match its
    manifest.json; 7 a preflight check failed; 8 Group Policy's execution policy would stop the
    task's scripts; 9 the old watcher did not stop; 10 the settings file is missing or invalid;
    11 the install folder is not safe after copying (someone else can write it); 14 a program
    (icacls.exe, netsh.exe, ...) did not finish in time and was ended.
#>
[CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Install')]
param(
    [Parameter(ParameterSetName = 'Install')] [System.Management.Automation.PSCredential] $Credential,
    [Parameter(ParameterSetName = 'Install')] [System.Security.SecureString] $Password,
    [Parameter(ParameterSetName = 'Install')] [switch] $Force,
    [Parameter(ParameterSetName = 'Preflight')] [switch] $Preflight
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$exitCode = 0
$saved, $env:PSModulePath = $env:PSModulePath, [IO.Path]::Combine($PSHOME, 'Modules')   # modules from System32 only
try {
    $module = Join-Path -Path (Join-Path -Path $PSScriptRoot -ChildPath 'WslPortProxy') -ChildPath 'WslPortProxy.psd1'
    Import-Module -Name $module -Verbose:$false
    $settings = Join-Path -Path $PSScriptRoot -ChildPath 'WslPortProxy.Settings.psd1'
    if ($Preflight) {
        $rows = @(Test-WslPortProxy -Settings $settings)
        # Formatted here: under powershell.exe -File, a table Out-Default would still be building is lost at exit.
        $rows | Format-List -Property Item, Ok, Problem, Warning
        if (@($rows | Where-Object -FilterScript { -not $_.Ok }).Count -gt 0) {
            $exitCode = 7
        }
    }
    else {
        Install-WslPortProxy -Settings $settings -BundlePath $PSScriptRoot -Credential $Credential -Password $Password `
            -Force:$Force -WhatIf:$WhatIfPreference -Verbose:($VerbosePreference -eq 'Continue')
    }
}
catch {
    $exitCode = 1
    if ($_.Exception.Data.Contains('WslPortProxyExitCode')) {
        $exitCode = [int] $_.Exception.Data['WslPortProxyExitCode']
    }
    $message = "Install-WslPortProxy.ps1 failed (exit code $exitCode): $($_.Exception.Message)"
    Write-Error -Message $message -ErrorAction Continue
}
finally { $env:PSModulePath = $saved }
exit $exitCode
