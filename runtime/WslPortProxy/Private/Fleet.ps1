# Pushing bundles to many servers over PowerShell remoting (Publish-WslPortProxy): the fleet
# folder's server list, sessions, and what each server has installed. The work on a server is its
# bundle's own installer, run through the fleet folder's files\install-bundle.ps1.

function Test-FleetEntry {
    <#
    .SYNOPSIS
        True when one server of the fleet file has a Name, InstallDirectory and Start of the right form.
    .DESCRIPTION
        Reads the properties by name (the module runs under strict mode, where a missing
        property of JSON data is an error), and only text: anything else is not a server.
    #>
    [CmdletBinding()]
    [OutputType([bool])]
    param([AllowNull()] [object] $Entry)
    if ($null -eq $Entry) {
        return $false
    }
    foreach ($name in 'Name', 'InstallDirectory', 'Start') {
        $property = $Entry.PSObject.Properties[$name]
        if ($null -eq $property -or $property.Value -isnot [string]) {
            return $false
        }
    }
    return $Entry.Name -match '^[A-Za-z0-9-]{1,15}$' -and $Entry.InstallDirectory -ne '' -and
        $Entry.Start -in @('boot', 'logon')
}

function Import-FleetData {
    <#
    .SYNOPSIS
        The fleet folder's WslPortProxy.Fleet.json (data only), checked; exit code 10 when unusable.
    .DESCRIPTION
        JSON, read with ConvertFrom-Json, which evaluates nothing and has no size limit that a
        fleet reaches. Not PowerShell data: Import-PowerShellDataFile refuses a file past 5,000
        syntax nodes (about 700 servers), and Windows PowerShell 5.1 has no -SkipLimitCheck.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param([Parameter(Mandatory)] [string] $FleetPath)
    $path = Join-Path -Path $FleetPath -ChildPath 'WslPortProxy.Fleet.json'
    try {
        $data = Get-Content -LiteralPath $path -Raw -Encoding UTF8 -ErrorAction Stop |
            ConvertFrom-Json -ErrorAction Stop
    }
    catch {
        $message = "The fleet file $path cannot be read: $($_.Exception.Message)"
        throw (New-Failure -ExitCode 10 -ErrorId 'InvalidFleet' -Message $message -Category ReadError)
    }
    $version = $null
    $servers = @()
    if ($null -ne $data -and $null -ne $data.PSObject.Properties['SchemaVersion']) {
        $version = $data.SchemaVersion
    }
    if ($null -ne $data -and $null -ne $data.PSObject.Properties['Servers']) {
        $servers = @($data.Servers)
    }
    $bad = 0
    foreach ($server in $servers) {
        # foreach and Path.Combine: Where-Object and Join-Path took 3 s more for 10,000 servers
        if (-not (Test-FleetEntry -Entry $server)) {
            $bad++
        }
    }
    if ($version -ne 1 -or $servers.Count -eq 0 -or $bad -gt 0) {
        $message = "The fleet file $path is not one this module reads (SchemaVersion 1, Servers with Name, " +
            'InstallDirectory and Start): generate it again with this version.'
        throw (New-Failure -ExitCode 10 -ErrorId 'InvalidFleet' -Message $message -Category InvalidData)
    }
    $parent = Split-Path -Path $FleetPath -Parent
    foreach ($server in $servers) {
        [pscustomobject]@{
            Name             = $server.Name
            InstallDirectory = $server.InstallDirectory
            Start            = $server.Start
            Bundle           = [System.IO.Path]::Combine($parent, $server.Name)
        }
    }
}

function Select-FleetServer {
    <#
    .SYNOPSIS
        The fleet's servers, or those ComputerName names (case-insensitive); an unknown name is an error.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [object[]] $Server,
        [AllowEmptyCollection()] [string[]] $ComputerName = @()
    )
    if ($ComputerName.Count -eq 0) {
        return $Server
    }
    $unknown = @($ComputerName | Where-Object -FilterScript { $Server.Name -notcontains $_ })
    if ($unknown.Count -gt 0) {
        $message = "No server named $($unknown -join ', ') in the fleet (it has: $($Server.Name -join ', '))."
        throw (New-Failure -ExitCode 1 -ErrorId 'UnknownServer' -Message $message -Category ObjectNotFound)
    }
    return @($Server | Where-Object -FilterScript { $ComputerName -contains $_.Name })
}

function Open-FleetSession {
    <#
    .SYNOPSIS
        One New-PSSession call for all servers (ThrottleLimit at a time); returns Sessions and Failed.
    .DESCRIPTION
        Failed maps each server no session was opened for to the error that says why (WinRM's
        message names the computer), or to a plain sentence.
    #>
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory)] [string[]] $ComputerName,
        [AllowNull()] [System.Management.Automation.PSCredential] $Credential,
        [Parameter(Mandatory)] [int] $ThrottleLimit
    )
    $connect = @{ ComputerName = $ComputerName; ThrottleLimit = $ThrottleLimit }
    if ($null -ne $Credential) {
        $connect['Credential'] = $Credential
    }
    $problems = @()
    $sessions = @(New-PSSession @connect -ErrorAction SilentlyContinue -ErrorVariable problems)
    $failed = @{}
    foreach ($name in $ComputerName) {
        if (@($sessions | Where-Object -FilterScript { $_.ComputerName -eq $name }).Count -eq 0) {
            $why = @($problems | Where-Object -FilterScript { "$_" -match "\b$([regex]::Escape($name))\b" })
            $failed[$name] = "no PowerShell remoting session to $name"
            if ($why.Count -gt 0) {
                $failed[$name] = "$($why[0])"
            }
        }
    }
    return [pscustomobject]@{ Sessions = $sessions; Failed = $failed }
}

function Invoke-PerInstallFolder {
    <#
    .SYNOPSIS
        Runs a script block on the servers' sessions, one Invoke-Command per install folder (its argument).
    .DESCRIPTION
        Usually every server has the same install folder: then it is one call, ThrottleLimit
        servers at a time. Returns the answers (each with PSComputerName); remote errors are
        written as they come, so the caller's -ErrorAction and -ErrorVariable decide.
    #>
    [CmdletBinding()]
    [OutputType([psobject])]
    param(
        [Parameter(Mandatory)] [object[]] $Server,
        [Parameter(Mandatory)] [AllowEmptyCollection()] [object[]] $Session,
        [Parameter(Mandatory)] [scriptblock] $ScriptBlock,
        [Parameter(Mandatory)] [int] $ThrottleLimit
    )
    foreach ($group in @($Server | Group-Object -Property InstallDirectory)) {
        $members = @($Session | Where-Object -FilterScript { $group.Group.Name -contains $_.ComputerName })
        if ($members.Count -gt 0) {
            Invoke-Command -Session $members -ScriptBlock $ScriptBlock -ArgumentList $group.Name `
                -ThrottleLimit $ThrottleLimit
        }
    }
}

function Get-InstalledManifest {
    <#
    .SYNOPSIS
        Server name -> the text of the manifest.json installed there ('' when none), for every session.
    .DESCRIPTION
        One Invoke-Command per install folder (usually one), ThrottleLimit servers at a time.
    #>
    [CmdletBinding()]
    [OutputType([hashtable])]
    param(
        [Parameter(Mandatory)] [object[]] $Server,
        [Parameter(Mandatory)] [object[]] $Session,
        [Parameter(Mandatory)] [int] $ThrottleLimit
    )
    $read = {
        param([string] $Directory)
        $path = Join-Path -Path ([Environment]::ExpandEnvironmentVariables($Directory)) -ChildPath 'manifest.json'
        $text = ''
        if (Test-Path -LiteralPath $path -PathType Leaf) {
            $text = [System.IO.File]::ReadAllText($path)
        }
        [pscustomobject]@{ Manifest = $text }
    }
    $installed = @{}
    foreach ($answer in @(Invoke-PerInstallFolder -Server $Server -Session $Session -ScriptBlock $read `
                -ThrottleLimit $ThrottleLimit)) {
        $installed[$answer.PSComputerName] = "$($answer.Manifest)"
    }
    return $installed
}

function ConvertTo-DeployResult {
    <#
    .SYNOPSIS
        One WslPortProxy.DeployResult: Server, Action, ExitCode, Message.
    #>
    [CmdletBinding()]
    [OutputType('WslPortProxy.DeployResult')]
    param(
        [Parameter(Mandatory)] [string] $Server,
        [Parameter(Mandatory)] [string] $Action,
        [AllowNull()] [Nullable[int]] $ExitCode,
        [AllowEmptyString()] [string] $Message = ''
    )
    return [pscustomobject]@{
        PSTypeName = 'WslPortProxy.DeployResult'; Server = $Server; Action = $Action; ExitCode = $ExitCode
        Message = $Message
    }
}

function Copy-FleetBundle {
    <#
    .SYNOPSIS
        Copies a server's bundle into %TEMP%\wsl-portproxy-bundle there (an earlier copy removed first).
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType([void])]
    param(
        [Parameter(Mandatory)] [object] $Session,
        [Parameter(Mandatory)] [string] $Bundle
    )
    $prepare = {
        $path = Join-Path -Path $env:TEMP -ChildPath 'wsl-portproxy-bundle'
        if (Test-Path -LiteralPath $path) {
            Remove-Item -LiteralPath $path -Recurse -Force
        }
        $path
    }
    if ($PSCmdlet.ShouldProcess($Session.ComputerName, 'Copy the bundle')) {
        $remote = "$(Invoke-Command -Session $Session -ScriptBlock $prepare)"
        if (-not $remote.EndsWith('wsl-portproxy-bundle')) {
            $message = "$($Session.ComputerName) did not name its folder for the bundle (got '$remote')"
            throw (New-Failure -ExitCode 1 -ErrorId 'NoStagingFolder' -Message $message)
        }
        Copy-Item -LiteralPath $Bundle -Destination $remote -ToSession $Session -Recurse -Force
    }
}

function Get-RemoteErrorComputer {
    <#
    .SYNOPSIS
        The computer a remoting error came from (OriginInfo of a remote error, else its target).
    #>
    [CmdletBinding()]
    [OutputType([string])]
    param([Parameter(Mandatory)] [System.Management.Automation.ErrorRecord] $ErrorRecord)
    $origin = $ErrorRecord.PSObject.Properties['OriginInfo']
    if ($null -ne $origin -and $null -ne $origin.Value) {
        return "$($origin.Value.PSComputerName)"
    }
    return "$($ErrorRecord.TargetObject)"
}

function Invoke-FleetInstall {
    <#
    .SYNOPSIS
        Runs files\install-bundle.ps1 on the servers whose bundle was copied; one DeployResult each.
    #>
    [CmdletBinding()]
    [OutputType('WslPortProxy.DeployResult')]
    param(
        [Parameter(Mandatory)] [object[]] $Plan,
        [Parameter(Mandatory)] [string] $FleetPath,
        [AllowNull()] [System.Security.SecureString] $TaskPassword,
        [Parameter(Mandatory)] [int] $ThrottleLimit
    )
    # A PSCredential: remoting sends its password as a SecureString encrypted with the session key, and
    # no command on either side is ever given it in plain text (module logging records parameter values).
    $credential = $null
    if ($null -ne $TaskPassword) {
        $credential = New-Object -TypeName System.Management.Automation.PSCredential -ArgumentList 'task', $TaskPassword
    }
    $snippet = Join-Path -Path (Join-Path -Path $FleetPath -ChildPath 'files') -ChildPath 'install-bundle.ps1'
    $remoteErrors = @()
    $answers = @(Invoke-Command -Session $Plan.Session -FilePath $snippet -ThrottleLimit $ThrottleLimit `
            -ArgumentList '%TEMP%\wsl-portproxy-bundle', $credential -ErrorAction SilentlyContinue `
            -ErrorVariable remoteErrors)
    foreach ($item in $Plan) {
        $answer = @($answers | Where-Object -FilterScript { $_.PSComputerName -eq $item.Name })
        if ($answer.Count -eq 0) {
            $why = @($remoteErrors | Where-Object -FilterScript {
                    (Get-RemoteErrorComputer -ErrorRecord $_) -eq $item.Name
                })
            $message = 'the installer returned nothing'
            if ($why.Count -gt 0) {
                $message += ": $($why[0].Exception.Message)"
            }
            ConvertTo-DeployResult -Server $item.Name -Action 'failed' -ExitCode $null -Message $message
            continue
        }
        $action = $item.Action
        if ([int] $answer[0].exit_code -ne 0) {
            $action = 'failed'
        }
        ConvertTo-DeployResult -Server $item.Name -Action $action -ExitCode ([int] $answer[0].exit_code) `
            -Message "$($answer[0].message)"
    }
    $cleanup = {
        Remove-Item -LiteralPath (Join-Path -Path $env:TEMP -ChildPath 'wsl-portproxy-bundle') -Recurse -Force
    }
    Invoke-Command -Session $Plan.Session -ScriptBlock $cleanup -ThrottleLimit $ThrottleLimit `
        -ErrorAction SilentlyContinue
}

function Invoke-FleetDeploy {
    <#
    .SYNOPSIS
        Publish-WslPortProxy's deployment: compare, copy, install; one DeployResult per server, in fleet order.
    #>
    [CmdletBinding(SupportsShouldProcess)]
    [OutputType('WslPortProxy.DeployResult')]
    param(
        [Parameter(Mandatory)] [object[]] $Server,
        [Parameter(Mandatory)] [pscustomobject] $Open,
        [Parameter(Mandatory)] [int] $ThrottleLimit,
        [Parameter(Mandatory)] [string] $Activity,
        [Parameter(Mandatory)] [string] $FleetPath,
        [AllowNull()] [System.Security.SecureString] $TaskPassword
    )
    $results = @{}
    foreach ($name in $Open.Failed.Keys) {
        $results[$name] = ConvertTo-DeployResult -Server $name -Action 'failed' -ExitCode $null `
            -Message $Open.Failed[$name]
    }
    $installed = @{}
    if ($Open.Sessions.Count -gt 0) {
        Write-Progress -Activity $Activity -Status 'Comparing the installed bundles' -PercentComplete 10
        $installed = Get-InstalledManifest -Server $Server -Session $Open.Sessions -ThrottleLimit $ThrottleLimit
    }
    $plan = @()
    $done = 0
    foreach ($member in @($Server | Where-Object -FilterScript { -not $results.ContainsKey($_.Name) })) {
        $done++
        $name = $member.Name
        $new = [System.IO.File]::ReadAllText((Join-Path -Path $member.Bundle -ChildPath 'manifest.json'))
        $old = "$($installed[$name])"
        if ($old -eq $new) {
            $results[$name] = ConvertTo-DeployResult -Server $name -Action 'unchanged' -ExitCode $null
            continue
        }
        $action = @('upgraded', 'installed')[[int] ($old -eq '')]
        if (-not $PSCmdlet.ShouldProcess($name, "Copy the bundle and run its installer ($action)")) {
            $planned = @{ installed = 'would install'; upgraded = 'would upgrade' }[$action]
            $results[$name] = ConvertTo-DeployResult -Server $name -Action $planned
            continue
        }
        if ($member.Start -eq 'boot' -and $null -eq $TaskPassword) {
            $message = "$name starts at boot: give -TaskPassword, the password of its task account"
            $results[$name] = ConvertTo-DeployResult -Server $name -Action 'failed' -ExitCode $null -Message $message
            continue
        }
        $session = @($Open.Sessions | Where-Object -FilterScript { $_.ComputerName -eq $name })[0]
        Write-Progress -Activity $Activity -Status "Copying the bundle to $name" `
            -PercentComplete (10 + [int] (60 * $done / $Server.Count))
        try {
            Copy-FleetBundle -Session $session -Bundle $member.Bundle
            $plan += [pscustomobject]@{ Name = $name; Session = $session; Action = $action }
        }
        catch {
            $message = "copying the bundle failed: $($_.Exception.Message)"
            $results[$name] = ConvertTo-DeployResult -Server $name -Action 'failed' -ExitCode $null -Message $message
        }
    }
    if ($plan.Count -gt 0) {
        Write-Progress -Activity $Activity -Status "Running the installer on $($plan.Count) server(s)" `
            -PercentComplete 75
        foreach ($result in @(Invoke-FleetInstall -Plan $plan -FleetPath $FleetPath -TaskPassword $TaskPassword `
                    -ThrottleLimit $ThrottleLimit)) {
            $results[$result.Server] = $result
        }
    }
    foreach ($member in $Server) {
        $results[$member.Name]
    }
}

function Get-FleetStatus {
    <#
    .SYNOPSIS
        Publish-WslPortProxy -Status: Get-WslPortProxyStatus -Report on every server, as FleetStatus rows.
    #>
    [CmdletBinding()]
    [OutputType('WslPortProxy.FleetStatus')]
    param(
        [Parameter(Mandatory)] [object[]] $Server,
        [Parameter(Mandatory)] [pscustomobject] $Open,
        [Parameter(Mandatory)] [int] $ThrottleLimit,
        [Parameter(Mandatory)] [string] $Activity
    )
    $ask = {
        param([string] $Directory)
        $folder = [Environment]::ExpandEnvironmentVariables($Directory)
        $module = Join-Path -Path (Join-Path -Path $folder -ChildPath 'WslPortProxy') -ChildPath 'WslPortProxy.psd1'
        Import-Module -Name $module
        Get-WslPortProxyStatus -Settings (Join-Path -Path $folder -ChildPath 'WslPortProxy.Settings.psd1') -Report `
            -WarningAction Ignore -InformationAction Ignore
    }
    $reports = @{}
    $remoteErrors = @()
    Write-Progress -Activity $Activity -Status "Asking $($Open.Sessions.Count) server(s)" -PercentComplete 30
    foreach ($report in @(Invoke-PerInstallFolder -Server $Server -Session $Open.Sessions -ScriptBlock $ask `
                -ThrottleLimit $ThrottleLimit -ErrorAction SilentlyContinue -ErrorVariable remoteErrors)) {
        $reports[$report.PSComputerName] = $report
    }
    foreach ($member in $Server) {
        $report = $reports[$member.Name]
        if ($null -ne $report) {
            $view = ''   # whose view of WSL; a server with an older bundle reports none
            if ($report.PSObject.Properties['View'] -and $null -ne $report.View) {
                $view = "$($report.View.Text)"
            }
            foreach ($port in @($report.Ports)) {
                [pscustomobject]@{
                    PSTypeName = 'WslPortProxy.FleetStatus'; Server = $member.Name; Port = $port.Listener
                    State = @('problem', 'ok')[[int] [bool] $port.Ok]; Problem = "$($port.Problem)"
                    View = $view
                }
            }
            continue
        }
        $state = 'failed'
        $problem = 'no status (is wsl-portproxy installed there?)'
        if ($Open.Failed.ContainsKey($member.Name)) {
            $state = 'unreachable'
            $problem = $Open.Failed[$member.Name]
        }
        $why = @($remoteErrors | Where-Object -FilterScript {
                (Get-RemoteErrorComputer -ErrorRecord $_) -eq $member.Name
            })
        if ($why.Count -gt 0) {
            $problem = $why[0].Exception.Message
        }
        [pscustomobject]@{
            PSTypeName = 'WslPortProxy.FleetStatus'; Server = $member.Name; Port = ''; State = $state
            Problem    = $problem; View = ''
        }
    }
}
