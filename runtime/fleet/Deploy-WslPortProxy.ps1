<#
.SYNOPSIS
    Installs or upgrades wsl-portproxy on the servers of this fleet over PowerShell remoting (WinRM).
.DESCRIPTION
    Runs the WslPortProxy module in this folder: Publish-WslPortProxy with this fleet folder, whose
    sibling folders are the server bundles. A server whose installed bundle is current is left alone.
    Details: Import-Module .\WslPortProxy; Get-Help Publish-WslPortProxy -Full.
.PARAMETER ComputerName
    Only these servers of the fleet.
.PARAMETER Credential
    For the remoting sessions (default: you).
.PARAMETER TaskPassword
    The password of the task account, for servers whose task starts at boot.
.PARAMETER ThrottleLimit
    How many servers are worked on at once (1-64, default 8).
.PARAMETER Status
    One row per forwarded port of every server (Server, Port, State, Problem) instead.
.EXAMPLE
    .\Deploy-WslPortProxy.ps1 -TaskPassword (Read-Host -AsSecureString 'Password of CORP\svc-podman')
.EXAMPLE
    .\Deploy-WslPortProxy.ps1 -ComputerName WEB-01 -WhatIf
.EXAMPLE
    .\Deploy-WslPortProxy.ps1 -Status | Format-Table
.NOTES
    Exit codes: 0 every server installed, upgraded or unchanged (-Status: every port ok); 1 unexpected;
    2 a server failed (each is named); 9 -Status found a problem; 10 the fleet file is unusable.
#>
[CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Deploy')]
param(
    [string[]] $ComputerName = @(),
    [System.Management.Automation.PSCredential] $Credential,
    [Parameter(ParameterSetName = 'Deploy')] [System.Security.SecureString] $TaskPassword,
    [ValidateRange(1, 64)] [int] $ThrottleLimit = 8,
    [Parameter(Mandatory, ParameterSetName = 'Status')] [switch] $Status
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$exitCode = 0
try {
    $module = Join-Path -Path (Join-Path -Path $PSScriptRoot -ChildPath 'WslPortProxy') -ChildPath 'WslPortProxy.psd1'
    Import-Module -Name $module -Verbose:$false
    $run = @{ FleetPath = $PSScriptRoot }   # and exactly the parameters given: -ComputerName, -WhatIf, ...
    foreach ($name in $PSBoundParameters.Keys) { $run[$name] = $PSBoundParameters[$name] }
    $results = @(Publish-WslPortProxy @run)
    $results
    if ($Status -and @($results | Where-Object -FilterScript { $_.State -ne 'ok' }).Count -gt 0) { $exitCode = 9 }
    $failed = @($results | Where-Object -FilterScript { -not $Status -and $_.Action -eq 'failed' })
    if ($failed.Count -gt 0) {
        $exitCode = 2
        $names = ($failed | ForEach-Object -Process { "$($_.Server) ($($_.Message))" }) -join '; '
        Write-Error -Message "Failed on $($failed.Count) of $($results.Count) server(s): $names" -ErrorAction Continue
    }
}
catch {
    $exitCode = 1
    if ($_.Exception.Data.Contains('WslPortProxyExitCode')) { $exitCode = $_.Exception.Data['WslPortProxyExitCode'] }
    $message = "Deploy-WslPortProxy.ps1 failed (exit code $exitCode): $($_.Exception.Message)"
    Write-Error -Message $message -ErrorAction Continue
}
exit $exitCode
