<#
.SYNOPSIS
    Forwards this server's LAN ports to WSL 2 and keeps the forwarding right (the task runs it).
.DESCRIPTION
    Runs the module beside it with this folder's settings (details: Get-Help Update-WslPortProxy -Full).
.PARAMETER Watch
    What the scheduled task runs: reconcile, then keep WSL up and reconcile whenever it restarts.
.PARAMETER Status
    Any notice (a pause, a warning), the verdict (OK: or PROBLEM:), the drift apart from it, then one row per
    forwarded port; exit code 9 = PROBLEM.
.PARAMETER Json
    With -Status: print the versioned JSON document instead (README.txt), non-ASCII as \uXXXX.
.PARAMETER Discover
    Prints inventory entries (YAML for this server's ports:) for what containers publish now.
.PARAMETER Remove
    Deletes every portproxy and firewall rule this tool created on this server.
.PARAMETER Pause
    Pauses the watcher for -Minutes so that wsl --shutdown/--update is not undone; ends by itself or at reboot.
.PARAMETER Minutes
    How long -Pause lasts (1-1440, default 30).
.PARAMETER Resume
    Ends a pause.
.PARAMETER MaxLogBytes
    Size at which logs\Update-WslPortProxy.log is rotated (four old files are kept).
.EXAMPLE
    .\Update-WslPortProxy.ps1 -Status
    Checks every forwarded port end to end. Start here when a port does not answer.
.EXAMPLE
    .\Update-WslPortProxy.ps1 -Pause -Minutes 15
    Before wsl --shutdown or wsl --update: the watcher leaves WSL alone for 15 minutes.
.NOTES
    Exit codes (the task's "Last Run Result"): 0 the rules are right (-Watch: the watcher ended, or another
    one runs); 1 unexpected (see the log); 3 wsl.exe or the distribution not found for this account; 4 no IPv4
    on eth0 in time; 5 netsh failed; 6 a firewall rule failed; 7 IP Helper not running; 8 the lock could not be
    had (held too long, not elevated, or its folder untrusted); 9 -Status (also -Json) found a problem;
    10 invalid settings; 11 WSL not in NAT mode, or its address not one to trust; 12 the podman machine did not
    start; 13 no container engine could be read; 14 a program (wsl.exe, podman.exe, netsh.exe, ...) did not
    finish in time and was ended.
#>
[CmdletBinding(SupportsShouldProcess, DefaultParameterSetName = 'Once')]
param(
    [Parameter(ParameterSetName = 'Watch')] [switch] $Watch, [Parameter(ParameterSetName = 'Remove')] [switch] $Remove,
    [Parameter(ParameterSetName = 'Status')] [switch] $Status, [Parameter(ParameterSetName = 'Status')] [switch] $Json,
    [Parameter(Mandatory, ParameterSetName = 'Discover')] [switch] $Discover,
    [Parameter(Mandatory, ParameterSetName = 'Pause')] [switch] $Pause,
    [Parameter(ParameterSetName = 'Pause')] [ValidateRange(1, 1440)] [int] $Minutes = 30,
    [Parameter(Mandatory, ParameterSetName = 'Resume')] [switch] $Resume,
    [ValidateRange(65536, 1073741824)] [int] $MaxLogBytes = 1048576
)
Set-StrictMode -Version Latest
$ErrorActionPreference = 'Stop'
$exitCode = 0
$saved, $env:PSModulePath = $env:PSModulePath, [IO.Path]::Combine($PSHOME, 'Modules')   # modules from System32 only
try {
    $module = Join-Path -Path (Join-Path -Path $PSScriptRoot -ChildPath 'WslPortProxy') -ChildPath 'WslPortProxy.psd1'
    Import-Module -Name $module -Verbose:$false
    $settings = Join-Path -Path $PSScriptRoot -ChildPath 'WslPortProxy.Settings.psd1'
    if ($Discover) { Find-WslPortProxyPort -Settings $settings -AsInventory }
    elseif ($Status) {
        $streams = @{ Verbose = $VerbosePreference -eq 'Continue'; InformationAction = 'Continue' }
        if ($Json) { $streams = @{ InformationAction = 'Ignore'; WarningAction = 'Ignore' } }   # stdout: JSON only
        $report = Get-WslPortProxyStatus -Settings $settings -Report @streams
        if (-not $report.Summary.AllOk) { $exitCode = 9 }
        if ($Json) {
            $text = ConvertTo-Json -InputObject $report -Depth 4   # non-ASCII as \uXXXX: safe in any code page
            [regex]::Replace($text, '[^\x00-\x7e]', { '\u{0:x4}' -f [int] [char] $args[0].Value })
        }
        else { $report.Ports }   # after the verdict and the drift (information), which the module wrote
    }
    else { Update-WslPortProxy -Settings $settings @PSBoundParameters }   # exactly the parameters given
}
catch {
    $exitCode = 1
    if ($_.Exception.Data.Contains('WslPortProxyExitCode')) { $exitCode = $_.Exception.Data['WslPortProxyExitCode'] }
    Write-Error -Message "Failed (exit code $exitCode): $($_.Exception.Message)" -ErrorAction Continue
}
finally { $env:PSModulePath = $saved }
exit $exitCode
